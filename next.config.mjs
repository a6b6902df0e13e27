import { readFileSync } from 'node:fs';

// The static security headers proxy.ts sets on every response it handles (one list for both).
const SECURITY_HEADERS = JSON.parse(readFileSync(new URL('./lib/http/security-headers.json', import.meta.url), 'utf8'));
const headerList = (record) => Object.entries(record).map(([key, value]) => ({ key, value }));

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
  // Turbopack keeps a cache of the build in .next/cache for the next build; on a clean clone in CI
  // there is no next build, and writing it took 11.8 s of a 60 s build on the 2-core machine.
  experimental: { turbopackFileSystemCacheForBuild: process.env.CI !== 'true' },
  // POST /api/v1/ingest is outside proxy.ts's matcher (there Next.js would hand the handler at
  // most 10 MB of the body), so its answers get the proxy's static headers here instead, and a
  // policy that lets a JSON answer load nothing (the proxy's per-request nonce is for pages).
  async headers() {
    return [
      {
        source: '/api/v1/ingest',
        headers: [...headerList(SECURITY_HEADERS.static), { key: 'content-security-policy', value: "default-src 'none'; frame-ancestors 'none'" }],
      },
      {
        source: '/api/v1/ingest',
        has: [{ type: 'header', key: 'x-forwarded-proto', value: 'https' }],
        headers: [{ key: 'strict-transport-security', value: SECURITY_HEADERS.strictTransportSecurity }],
      },
    ];
  },
};

export default nextConfig;
