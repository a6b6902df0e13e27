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
  poweredByHeader: false,
  reactStrictMode: true,
  typedRoutes: false,
};

export default nextConfig;
