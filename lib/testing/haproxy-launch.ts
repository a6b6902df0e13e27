// Test-only: the real haproxy (Debian's package, 2.6) in the foreground from a configuration file,
// its `log stdout` lines collected in a file.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForPort } from './gateway-pki.ts';

/** The haproxy binary, or null when it is not installed. */
export function findHaproxy(): string | null {
  for (const p of ['haproxy', '/usr/sbin/haproxy']) {
    if (spawnSync(p, ['-v'], { stdio: 'ignore' }).status === 0) return p;
  }
  return null;
}

/** `global` and `defaults` every test HAProxy needs (the frontends log on stdout themselves). */
export const HAPROXY_TEST_HEAD = `global
  maxconn 64
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
`;

export interface HaproxyProcess {
  /** The file stdout went to: the frontends' `log stdout … format raw` lines. */
  logFile: string;
  output(): string;
  stop(): Promise<void>;
}

/** Checks the configuration with `haproxy -c`, runs it with `-db`, waits for the ports; `env` is added to the process's (e.g. `TZ`). */
export async function startHaproxy(bin: string, dir: string, name: string, config: string, ports: number[], env: Record<string, string> = {}): Promise<HaproxyProcess> {
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, config);
  const check = spawnSync(bin, ['-c', '-f', cfg], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c refused ${name}.cfg: ${check.stdout}${check.stderr}`);
  const logFile = join(dir, `${name}.log`);
  const log = createWriteStream(logFile);
  let err = '';
  const child: ChildProcess = spawn(bin, ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  child.stdout!.pipe(log);
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => log.end(() => resolve())));
  for (const p of ports) await waitForPort(p, 10_000, () => err.slice(-1500));
  return {
    logFile,
    output: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGUSR1');
      await exited;
    },
  };
}
