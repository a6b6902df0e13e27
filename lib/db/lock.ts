// Exclusive lock on an embedded data directory. PGlite must be opened by one process only
// (two writers corrupt it), so the first process writes its pid into `holdfast.lock` with
// O_EXCL and every other process is refused with a clear message. A lock left by a process
// that died (SIGKILL, power loss) is detected by probing the pid and taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HoldfastError } from '../errors.ts';

export interface DataDirLock {
  path: string;
  release(): void;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  const lockPath = path.join(dataDir, 'holdfast.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return {
        path: lockPath,
        release() {
          if (released) return;
          released = true;
          try {
            const held = JSON.parse(readFileSync(lockPath, 'utf8')) as { pid?: number };
            if (held.pid === process.pid) rmSync(lockPath, { force: true });
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'EACCES' || err.code === 'EROFS' || err.code === 'EPERM') {
        throw new HoldfastError('data_dir_unwritable', `data directory ${dataDir} is not writable (${err.code})`);
      }
      if (err.code !== 'EEXIST') throw e;
      let holder: { pid?: number } = {};
      try {
        holder = JSON.parse(readFileSync(lockPath, 'utf8')) as { pid?: number };
      } catch {
        /* unreadable or half-written lock: treat as stale */
      }
      if (holder.pid && holder.pid !== process.pid && pidAlive(holder.pid)) {
        throw new HoldfastError(
          'data_dir_locked',
          `the embedded database in ${dataDir} is in use by process ${holder.pid}; stop it, or use --server URL --api-key KEY to go through its API`,
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new HoldfastError('data_dir_locked', `could not lock ${dataDir}`);
}
