#!/usr/bin/env node
// `npm start`: check the configuration, build the app if there is no current build, then run
// the Holdfast server (lib/server/start.ts) in this process: its bundle (scripts/build-bundles.mjs)
// while that is current, else the TypeScript through tsx.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { currentBundle } from '../bin/bundles.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
process.env.NODE_ENV = 'production';
process.env.NEXT_TELEMETRY_DISABLED = '1';
const bundle = currentBundle(root, 'server');
if (!bundle) (await import('tsx/esm/api')).register();
// --debug prints stacks: point them at the TypeScript sources (dist/server/start.mjs.map).
else if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
/** The server's start module: one instance, whose configuration check and server share their modules. */
const server = await import(bundle ?? '../lib/server/start.ts');

const fail = (msg) => {
  process.stderr.write(`holdfast: ${msg}\n`);
  process.exit(1);
};

try {
  server.loadConfig();
} catch (e) {
  fail(e.message);
}

function newestMtime(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(p)) {
    if (name === 'generated' || name === 'node_modules' || name.endsWith('.test.ts')) continue;
    max = Math.max(max, newestMtime(path.join(p, name)));
  }
  return max;
}

const buildId = path.join(root, '.next', 'BUILD_ID');
const sources = ['app', 'lib', 'proxy.ts', 'next.config.mjs', 'package-lock.json'].filter((p) => existsSync(p));
const stale = !existsSync(buildId) || Math.max(...sources.map(newestMtime)) > statSync(buildId).mtimeMs;
if (stale && process.env.HOLDFAST_SKIP_BUILD !== '1') {
  process.stdout.write('holdfast: building the dashboard (first start or changed sources)…\n');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
  if (r.status !== 0) fail('next build failed (see above)');
  // The bundles too, so that the next start (and the CLI) load them instead of compiling the sources.
  spawnSync(process.execPath, [path.join(root, 'scripts', 'build-bundles.mjs')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

let running;
try {
  running = await server.startServer({ dir: root });
} catch (e) {
  if (process.argv.includes('--debug')) console.error(e);
  fail(String(e?.message ?? e).split('\n')[0]);
}
process.stdout.write(`holdfast: ready at ${running.url}\n`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, async () => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`holdfast: ${sig}, shutting down…\n`);
    await running.close().catch(() => {});
    process.exit(0);
  });
}
