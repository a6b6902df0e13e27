#!/usr/bin/env -S node --max-semi-space-size=32
// --max-semi-space-size=32: V8's young half-spaces at 32 MiB instead of 16, so the objects of an ingest
// chunk that is still being written die young instead of being copied into the old generation
// (docs/DEPLOYMENT.md has the figures); the server's launch (package.json "start") uses the same flag.
// The `holdfast` CLI. After `npm run build` it runs the bundle (dist/cli/main.mjs, scripts/build-bundles.mjs),
// which starts in a third of the CPU time; without a build, or once any of the bundle's source files
// is newer than it, the TypeScript sources run through tsx's loader, so `npx holdfast` works right
// after `npm ci` and always runs the code as it is on disk.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBundle } from './bundles.mjs';

const bundle = currentBundle(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), 'cli');
let main;
if (bundle) {
  // --debug prints stacks: point them at the TypeScript sources (dist/cli/main.mjs.map).
  if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
  ({ main } = await import(bundle));
}
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/cli/main.ts'));
}
const code = await main(process.argv.slice(2));
// Flush stdout before exiting: PGlite and pg keep handles that would otherwise hold the loop.
process.stdout.write('', () => process.exit(code));
