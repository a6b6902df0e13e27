// bin/holdfast.mjs runs the CLI bundle only while it is built from the sources as they are on disk.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module of the bin, without types
import { currentBundle } from '../bin/cli-bundle.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A repository with two sources and a bundle built at `builtAt` (sources dated `sourceAt`). */
function repo(builtAt: number, sourceAt: number, withBundle = true): string {
  const root = mkdtempSync(path.join(tmpdir(), 'holdfast-cli-bundle-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'lib', 'cli'), { recursive: true });
  mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
  for (const f of ['lib/cli/main.ts', 'lib/cli/args.ts']) {
    writeFileSync(path.join(root, f), '');
    utimesSync(path.join(root, f), sourceAt / 1000, sourceAt / 1000);
  }
  writeFileSync(path.join(root, 'dist', 'cli', 'inputs.json'), JSON.stringify({ builtAt, inputs: ['lib/cli/args.ts', 'lib/cli/main.ts'] }));
  if (withBundle) writeFileSync(path.join(root, 'dist', 'cli', 'main.mjs'), '');
  return root;
}

describe('currentBundle', () => {
  const t = Date.UTC(2026, 11, 5, 12);
  it('is the bundle when every source is older than the build', () => {
    const root = repo(t, t - 60_000);
    expect(currentBundle(root)).toBe(path.join(root, 'dist', 'cli', 'main.mjs'));
  });
  it('is null once a source is saved after the build', () => {
    const root = repo(t, t - 60_000);
    utimesSync(path.join(root, 'lib/cli/args.ts'), (t + 1000) / 1000, (t + 1000) / 1000);
    expect(currentBundle(root)).toBeNull();
  });
  it('is null when a source is gone, the bundle is missing, or nothing was built', () => {
    const gone = repo(t, t - 60_000);
    rmSync(path.join(gone, 'lib/cli/main.ts'));
    expect(currentBundle(gone)).toBeNull();
    expect(currentBundle(repo(t, t - 60_000, false))).toBeNull();
    const none = repo(t, t - 60_000);
    rmSync(path.join(none, 'dist'), { recursive: true });
    expect(currentBundle(none)).toBeNull();
  });
});
