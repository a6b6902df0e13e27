// bin/holdfast.mjs and scripts/start.mjs run their bundle only while it is built from the sources as they are on disk.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module of the bin, without types
import { BUNDLES, currentBundle } from '../bin/bundles.mjs';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/**
 * A repository with the CLI's two sources and its bundle built at `builtAt` (sources dated
 * `sourceAt`), and a server bundle built from a third source a minute earlier.
 */
function repo(builtAt: number, sourceAt: number, withBundle = true): string {
  const root = mkdtempSync(path.join(tmpdir(), 'holdfast-bundles-'));
  dirs.push(root);
  const bundle = (name: 'cli' | 'server', at: number, inputs: string[]) => {
    mkdirSync(path.join(root, 'dist', name), { recursive: true });
    for (const f of inputs) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), '');
      utimesSync(path.join(root, f), sourceAt / 1000, sourceAt / 1000);
    }
    writeFileSync(path.join(root, 'dist', name, 'inputs.json'), JSON.stringify({ builtAt: at, inputs }));
    if (withBundle) writeFileSync(path.join(root, BUNDLES[name].out), '');
  };
  bundle('cli', builtAt, ['lib/cli/args.ts', 'lib/cli/main.ts']);
  bundle('server', builtAt - 60_000, ['lib/server/start.ts']);
  return root;
}

describe('currentBundle', () => {
  const t = Date.UTC(2026, 11, 5, 12);
  it('is the bundle when every source is older than the build', () => {
    const root = repo(t, t - 60_000);
    expect(currentBundle(root, 'cli')).toBe(path.join(root, 'dist', 'cli', 'main.mjs'));
  });
  it('is null once a source is saved after the build', () => {
    const root = repo(t, t - 60_000);
    utimesSync(path.join(root, 'lib/cli/args.ts'), (t + 1000) / 1000, (t + 1000) / 1000);
    expect(currentBundle(root, 'cli')).toBeNull();
  });
  it('is null when a source is gone, the bundle is missing, or nothing was built', () => {
    const gone = repo(t, t - 60_000);
    rmSync(path.join(gone, 'lib/cli/main.ts'));
    expect(currentBundle(gone, 'cli')).toBeNull();
    expect(currentBundle(repo(t, t - 60_000, false), 'cli')).toBeNull();
    const none = repo(t, t - 60_000);
    rmSync(path.join(none, 'dist'), { recursive: true });
    expect(currentBundle(none, 'cli')).toBeNull();
  });
  it('judges each bundle by its own sources and build time', () => {
    // Sources two minutes old: both current; one minute old: newer than the server's build only.
    const old = repo(t, t - 120_000);
    expect(currentBundle(old, 'server')).toBe(path.join(old, 'dist', 'server', 'start.mjs'));
    const root = repo(t, t - 30_000);
    expect(currentBundle(root, 'cli')).not.toBeNull();
    expect(currentBundle(root, 'server')).toBeNull();
  });
});
