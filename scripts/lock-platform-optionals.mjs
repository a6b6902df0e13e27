#!/usr/bin/env node
// The npm registry mirror these machines use does not serve Next.js's macOS and Windows SWC
// binaries, so `npm install` leaves them out of package-lock.json — and `npm ci` then refuses
// the lock as out of sync. This adds their lock entries (optional, gated by os/cpu, so Linux
// never fetches them; on a Mac or Windows npm resolves them from the public registry).
// Run after any `npm install` that rewrites the lock.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const next = lock.packages['node_modules/next'];
const platforms = {
  'darwin-arm64': ['darwin', 'arm64'],
  'darwin-x64': ['darwin', 'x64'],
  'win32-arm64-msvc': ['win32', 'arm64'],
  'win32-x64-msvc': ['win32', 'x64'],
  'linux-arm64-gnu': ['linux', 'arm64'],
  'linux-arm64-musl': ['linux', 'arm64'],
  'linux-x64-gnu': ['linux', 'x64'],
  'linux-x64-musl': ['linux', 'x64'],
};
let added = 0;
for (const [name, version] of Object.entries(next.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  const plat = platforms[name.replace('@next/swc-', '')];
  if (lock.packages[key] || !plat) continue;
  lock.packages[key] = { version, cpu: [plat[1]], license: 'MIT', optional: true, os: [plat[0]], engines: { node: '>= 10' } };
  added++;
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
lock.packages = sorted;
writeFileSync('package-lock.json', JSON.stringify(lock, null, 2) + '\n');
console.log(`lock: added ${added} platform-optional entries`);
