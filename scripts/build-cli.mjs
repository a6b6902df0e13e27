#!/usr/bin/env node
// Bundles the `holdfast` CLI (lib/cli/main.ts and everything it imports from this repository) into
// one ES module, dist/cli/main.mjs, with the list of its source files beside it. bin/holdfast.mjs
// runs the bundle while no source file is newer than it, else the TypeScript through tsx: a bundle
// starts in a third of the CPU time (~0.7 s against ~2.2 s here, measured), which every command and
// every script calling the CLI pays. Packages stay external: they load from node_modules as before.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Two levels below the root, like lib/<dir>/: lib/db/migrations.ts finds prisma/ from its own path.
const outDir = path.join(root, 'dist', 'cli');
mkdirSync(outDir, { recursive: true });
// Taken before esbuild reads anything: a file saved during the build counts as newer than the bundle.
const startedAt = Date.now();
const result = await build({
  absWorkingDir: root,
  entryPoints: ['lib/cli/main.ts'],
  outfile: path.join(outDir, 'main.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
writeFileSync(path.join(outDir, 'inputs.json'), JSON.stringify({ builtAt: startedAt, inputs }, null, 1) + '\n');
process.stdout.write(`cli: dist/cli/main.mjs from ${inputs.length} source files\n`);
