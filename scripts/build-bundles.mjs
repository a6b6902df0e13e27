#!/usr/bin/env node
// Bundles the `holdfast` CLI (lib/cli/main.ts) and the server's start module (lib/server/start.ts),
// each with everything it imports from this repository, into ES modules (bin/bundles.mjs names the
// entry), with the list of its source files beside it. Split at dynamic imports: each CLI command's
// code is a chunk of its own beside the entry, loaded only when that command runs (≈ 350 ms of
// module compilation on every run when it was one file). bin/holdfast.mjs and scripts/start.mjs run a
// bundle while no source file is newer than it, else the TypeScript through tsx. Packages stay
// external: they load from node_modules as before.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLES, inputsFile } from '../bin/bundles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** esbuild's options for bundle `name` (also read by scripts/bundle-chunks.test.ts to check the chunk graph). */
export function bundleOptions(name) {
  const { entry, out } = BUNDLES[name];
  return {
    absWorkingDir: root,
    entryPoints: { [path.basename(out, '.mjs')]: entry },
    // Chunks beside the entry, two levels below the root like lib/<dir>/ (lib/db/migrations.ts finds prisma/ from its own path).
    outdir: path.join(root, path.dirname(out)),
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, { out }] of Object.entries(BUNDLES)) {
    // A fresh directory: chunks of an earlier build have other hashes and would pile up.
    rmSync(path.join(root, path.dirname(out)), { recursive: true, force: true });
    mkdirSync(path.join(root, path.dirname(out)), { recursive: true });
    // Taken before esbuild reads anything: a file saved during the build counts as newer than the bundle.
    const startedAt = Date.now();
    const result = await build(bundleOptions(name));
    const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
    writeFileSync(inputsFile(root, name), JSON.stringify({ builtAt: startedAt, inputs }, null, 1) + '\n');
    const chunks = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.mjs')).length;
    process.stdout.write(`${name}: ${out} and ${chunks - 1} chunks from ${inputs.length} source files\n`);
  }
}
