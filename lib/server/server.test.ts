// The server as a user runs it (`npm start` → scripts/start.mjs): bad configuration is a
// one-line reason and a non-zero exit; the embedded database keeps its data across restarts
// and refuses a second server on the same directory.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, hasBuild, REPO_ROOT, run, runCli, startServerProcess } from '../testing/processes.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'holdfast-server-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const start = (env: Record<string, string>) =>
  run(process.execPath, [path.join(REPO_ROOT, 'scripts', 'start.mjs')], { env: { HOLDFAST_SKIP_BUILD: '1', HOST: '127.0.0.1', ...env }, timeoutMs: 60_000 });

function expectOneLineFailure(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.code).not.toBe(0);
  const lines = r.stderr.trim().split('\n').filter((l) => !/^npm warn/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^holdfast: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('bad configuration', () => {
  it.each([
    ['a malformed DATABASE_URL', { DATABASE_URL: 'mysql://root@localhost/x' }, /DATABASE_URL: must look like postgresql/],
    ['a weak admin password', { HOLDFAST_ADMIN_EMAIL: 'admin@example.com', HOLDFAST_ADMIN_PASSWORD: 'short' }, /HOLDFAST_ADMIN_PASSWORD: must be at least 12 characters/],
    ['PostgreSQL without a sealing key', { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/holdfast' }, /HOLDFAST_SECRET_KEY is required with DATABASE_URL/],
    ['an unreachable PostgreSQL', { DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/holdfast', HOLDFAST_SECRET_KEY: Buffer.alloc(32, 1).toString('base64') }, /cannot reach PostgreSQL at 127\.0\.0\.1:1\/holdfast: connection refused/],
    ['an unwritable data directory', { HOLDFAST_DATA_DIR: '/proc/holdfast-data' }, /data directory \/proc\/holdfast-data is not writable/],
  ])('%s exits non-zero with a one-line reason', async (_name, env, pattern) => {
    expectOneLineFailure(await start(env as Record<string, string>), pattern);
  });
});

describe.runIf(hasBuild() || process.env.CI === 'true')('embedded server lifecycle', () => {
  it('seeds the demo estate on first start, keeps data across a restart, and refuses a second server on the same directory', async () => {
    const dataDir = tmp();
    const key = await runCli(['apikey', 'create', '--name', 'lifecycle', '--role', 'admin', '--json'], { env: { HOLDFAST_DATA_DIR: dataDir } });
    expect(key.code).toBe(0);
    const apiKey = JSON.parse(key.stdout).key as string;
    const summary = async (url: string) => {
      const r = await runCli(['summary', '--json', '--server', url, '--api-key', apiKey]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as { identities: number; tokens: { total: number }; events: number };
    };

    const first = await startServerProcess({ HOLDFAST_DATA_DIR: dataDir });
    let before;
    try {
      expect(first.output()).toMatch(/demo estate loaded/);
      before = await summary(first.url);
      expect(before.identities).toBeGreaterThanOrEqual(300);
      expect(before.tokens.total).toBeGreaterThanOrEqual(5000);
      expect(before.events).toBeGreaterThanOrEqual(50_000);

      const second = await start({ HOLDFAST_DATA_DIR: dataDir, PORT: String(await freePort()) });
      expectOneLineFailure(second, /in use by process \d+/);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }

    const again = await startServerProcess({ HOLDFAST_DATA_DIR: dataDir });
    try {
      expect(again.output()).not.toMatch(/demo estate loaded/);
      expect(await summary(again.url)).toEqual(before);
      // The usage columns are read at start (HOLDFAST_SIMULATION_PRELOAD_DAYS, 30 by default), so
      // the server's first simulation is answered from memory (its Server-Timing header says which).
      const deadline = Date.now() + 60_000;
      while (!/simulation columns preloaded: [1-9]\d* usage rows of the last 30 days/.test(again.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(again.output()).toMatch(/simulation columns preloaded: [1-9]\d* usage rows of the last 30 days/);
      const to = new Date();
      const res = await fetch(`${again.url}/api/v1/simulations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ policy: { require: 'mtls' }, from: new Date(to.getTime() - 7 * 86_400_000).toISOString(), to: to.toISOString() }),
      });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('server-timing')).toMatch(/^simulate;desc="columns";dur=\d/);
      expect(((await res.json()) as { requests: { total: number } }).requests.total).toBeGreaterThan(0);
    } finally {
      await again.stop();
    }
  }, 300_000); // two real server starts, a demo seed and a findings evaluation
});
