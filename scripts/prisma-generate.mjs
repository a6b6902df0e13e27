#!/usr/bin/env node
// Generates the Prisma client offline. Prisma 7's CLI checks for a native schema engine it
// would download from Prisma's binary host; `generate` never uses it, so pointing
// PRISMA_SCHEMA_ENGINE_BINARY at any existing file skips that download (see README).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  CHECKPOINT_DISABLE: '1',
};
const r = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', 'prisma/schema.prisma'], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  process.stderr.write('holdfast: prisma generate failed (see above)\n');
  process.exit(1);
}
process.stdout.write('holdfast: Prisma client generated in lib/db/generated\n');
