#!/usr/bin/env node
// Bundles the `holdfast` CLI (lib/cli/main.ts) and the server's start module (lib/server/start.ts),
// each with everything it imports from this repository, into one ES module (bin/bundles.mjs names
// them), with the list of its source files beside it. bin/holdfast.mjs and scripts/start.mjs run a
// bundle while no source file is newer than it, else the TypeScript through tsx. Packages stay
// external: they load from node_modules as before.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLES, inputsFile } from '../bin/bundles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
for (const [name, { entry, out }] of Object.entries(BUNDLES)) {
  mkdirSync(path.join(root, path.dirname(out)), { recursive: true });
  // Taken before esbuild reads anything: a file saved during the build counts as newer than the bundle.
  const startedAt = Date.now();
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: path.join(root, out),
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
  writeFileSync(inputsFile(root, name), JSON.stringify({ builtAt: startedAt, inputs }, null, 1) + '\n');
  process.stdout.write(`${name}: ${out} from ${inputs.length} source files\n`);
}
