import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HoldfastError } from '../errors.ts';
import { REPO_ROOT, runCli } from '../testing/processes.ts';
import { acquireDataDirLock } from './lock.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'holdfast-lock-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('data directory lock', () => {
  it('refuses a second holder in the same process tree with data_dir_locked', () => {
    const d = tmp();
    const a = acquireDataDirLock(d);
    // A different live pid holds it: simulate with our parent process's pid.
    a.release();
    const fake = path.join(d, 'holdfast.lock');
    writeFileSync(fake, JSON.stringify({ pid: process.ppid }));
    expect(() => acquireDataDirLock(d)).toThrowError(HoldfastError);
    try {
      acquireDataDirLock(d);
    } catch (e) {
      expect((e as HoldfastError).code).toBe('data_dir_locked');
      expect((e as Error).message).toContain(`process ${process.ppid}`);
    }
  });

  it('takes over a lock left by a process that died', () => {
    const d = tmp();
    writeFileSync(path.join(d, 'holdfast.lock'), JSON.stringify({ pid: 2 ** 22 + 12345 }));
    const l = acquireDataDirLock(d);
    l.release();
  });

  it('a second process on the same data directory exits non-zero with a clear message and the data stays intact', async () => {
    const d = tmp();
    const env = { HOLDFAST_DATA_DIR: d };
    const created = await runCli(['apikey', 'create', '--name', 'first', '--role', 'analyst', '--json'], { env });
    expect(created.code).toBe(0);
    // A long-lived holder: opens the embedded database and waits.
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', `const { openDatabase } = await import('./lib/db/open.ts'); await openDatabase({ kind: 'pglite', dataDir: ${JSON.stringify(d)} }); console.log('holding'); setInterval(() => {}, 1000);`],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', (b) => String(b).includes('holding') && resolve());
      holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
    });
    try {
      const second = await runCli(['summary', '--json'], { env });
      expect(second.code).toBe(1);
      expect(second.stdout).toBe('');
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toMatch(/in use by process \d+/);
      expect(second.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => holder.on('close', r));
    }
    // The holder died without releasing: the lock is stale, the data intact.
    const after = await runCli(['audit', 'verify', '--json'], { env });
    expect(after.code).toBe(0);
    // CONTRACT: fields may be added (reason, anchor, …), never renamed or removed.
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, entries: 1, firstBadEntry: null });
  });
});
