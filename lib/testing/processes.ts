// Helpers for tests that run Holdfast as real processes (CLI, server).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedEmbeddedDataDir } from './embedded-data-dir.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = path.join(REPO_ROOT, 'bin', 'holdfast.mjs');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (bounded by timeoutMs) and collects its output. */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

export async function runCli(args: string[], opts: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  await seedEmbeddedDataDir(opts.env ?? {});
  return run(process.execPath, [CLI, ...args], opts);
}

// Ports for the peers tests start are taken below the kernel's ephemeral range. A port found by
// binding port 0 comes from that range, and between the check and the peer's own bind any outgoing
// connection (a PostgreSQL client in the other worker, say) can take it: "Address already in use".
const EPHEMERAL_LOW = (() => {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
})();
const PICK_LOW = 10_000;

function listenOn(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/** `count` distinct ports free right now, below the ephemeral range: all held at once before any is let go. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    for (let tries = 0; servers.length < count; tries++) {
      if (tries > 1000) throw new Error(`no ${count} free ports between ${PICK_LOW} and ${EPHEMERAL_LOW}`);
      const srv = await listenOn(PICK_LOW + Math.floor(Math.random() * (EPHEMERAL_LOW - PICK_LOW)));
      if (srv) servers.push(srv);
    }
    return servers.map((s) => (s.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

export function hasBuild(): boolean {
  return existsSync(path.join(REPO_ROOT, '.next', 'BUILD_ID'));
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `npm start`'s script on a port and waits until /api/v1/health answers. */
export async function startServerProcess(env: Record<string, string | undefined>, timeoutMs = 180_000, opts: { nice?: number } = {}): Promise<ServerProcess> {
  const port = Number(env.PORT ?? (await freePort()));
  await seedEmbeddedDataDir(env);
  // `nice` (coreutils) execs node at a lower CPU priority, as systemd's Nice= does (docs/DEPLOYMENT.md).
  // As package.json's "start" runs it (bin/holdfast.mjs says why the flag).
  const node = [process.execPath, '--max-semi-space-size=32', path.join(REPO_ROOT, 'scripts', 'start.mjs')];
  const [cmd, args] = opts.nice ? ['nice', ['-n', String(opts.nice), ...node]] : [node[0]!, node.slice(1)];
  const child = spawn(cmd, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', HOLDFAST_SKIP_BUILD: '1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${out}`);
    try {
      const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not come up in ${timeoutMs} ms: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** The NGINX binary (Debian's package), or null when it is not installed. */
export function findNginx(): string | null {
  for (const p of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    if (spawnSync(p, ['-v'], { stdio: 'ignore' }).status === 0) return p;
  }
  return null;
}
