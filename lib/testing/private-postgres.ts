// A private PostgreSQL instance for fault tests: its own data directory and port, run as the
// `postgres` user (initdb refuses root), restartable at will without touching the machine's
// shared cluster. Unix socket in /tmp, TCP on 127.0.0.1 only.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './processes.ts';

export const PG_BIN = process.env.HOLDFAST_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  /** Stops (fast: active connections are terminated) and starts again after `downMs`. */
  restart(downMs?: number): Promise<void>;
  cleanup(): void;
}

function asPostgres(args: string[]): string {
  const isRoot = process.getuid?.() === 0;
  const [cmd, ...rest] = args;
  return isRoot
    ? execFileSync('runuser', ['-u', 'postgres', '--', cmd!, ...rest], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
    : execFileSync(cmd!, rest, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why a private instance cannot be made here, or null. */
export function privatePostgresUnavailable(): string | null {
  if (!existsSync(path.join(PG_BIN, 'initdb'))) return `no initdb in ${PG_BIN}`;
  if (process.getuid?.() === 0) {
    try {
      execFileSync('id', ['postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root and there is no postgres user to run initdb as';
    }
  }
  return null;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-pg-'));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'pg.log');
  const port = await freePort();
  asPostgres([path.join(PG_BIN, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const opts = `-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60`;
  const start = () => void asPostgres([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-o', opts, '-l', log, '-w', '-t', '60', 'start']);
  const stop = () => void asPostgres([path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', '-t', '60', 'stop']);
  start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async restart(downMs = 1000) {
      stop();
      await new Promise((r) => setTimeout(r, downMs));
      start();
    },
    cleanup() {
      try {
        stop();
      } catch {
        /* already stopped */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
