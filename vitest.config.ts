import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('.', import.meta.url)) } },
  test: {
    include: ['lib/**/*.test.ts', 'app/**/*.test.ts', 'scripts/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['node_modules/**', 'e2e/**', '.next/**'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: integration tests start real peers (PostgreSQL databases, NGINX, oidc-provider).
    maxWorkers: 2,
    // Each worker runs its files one after another in one process instead of a fresh process per
    // file. The modules are loaded once and, above all, stay compiled: PGlite's WebAssembly and the
    // parsers reach V8's optimising tier once instead of in every file. Measured on the 2-core
    // machine: lib/services/{evidence,findings,estate} 216 s wall and 217 core-seconds against 266 s
    // and 241 with a process per file; the whole suite 944 s wall (1,185-1,359 s before), every file
    // passing. It holds because no test mocks a module (no vi.mock) and the files that change
    // process state put it back; a file that could not would say so here.
    isolate: false,
  },
});
