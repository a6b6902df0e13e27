/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite ships a WASM build and a data directory; Prisma's client and the pg driver are
  // Node-only. Bundling them breaks their file loading, so they stay external.
  serverExternalPackages: [
    '@electric-sql/pglite',
    'pglite-prisma-adapter',
    '@prisma/client',
    '@prisma/adapter-pg',
    'pg',
    'pg-copy-streams',
    'pdfkit',
  ],
  // Types are checked by `npm run typecheck` (CI runs it before the tests); the build that
  // `npm start` runs must not fail on, or spend minutes re-checking, test files.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
};

export default nextConfig;
