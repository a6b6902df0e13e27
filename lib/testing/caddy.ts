// Test-only: the real caddy (Debian's package) started from a Caddyfile on 127.0.0.1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForPort } from './gateway-pki.ts';

/** The caddy binary, or null when it is not installed. */
export function findCaddy(): string | null {
  for (const p of ['caddy', '/usr/bin/caddy', '/usr/local/bin/caddy']) {
    if (spawnSync(p, ['version'], { stdio: 'ignore' }).status === 0) return p;
  }
  return null;
}

/**
 * Global options every test Caddy needs: no admin endpoint (it would be one shared port on the
 * machine), no automatic HTTPS, its storage in the test directory, loopback only, and no HTTP/3
 * (a UDP listener per site).
 */
export function caddyTestGlobals(dir: string): string {
  return `{
  admin off
  auto_https off
  storage file_system ${dir}/caddy-data
  default_bind 127.0.0.1
  servers {
    protocols h1 h2
  }
}
`;
}

/**
 * A Caddyfile: an edge on `https://api.test:<edge>` that takes any client certificate and verifies
 * none (`client_auth mode request`), forwarding it to a Caddy backend on `<backend>` in Client-Cert
 * (bare base64 DER) with the edge's request id; the backend logs JSON to `<dir>/logs/backend.json`,
 * the edge to `<dir>/logs/edge.json` when `edgeLog`.
 */
export function caddyUnverifiedEdge(dir: string, serverCert: { certPath: string; keyPath: string }, o: { edge: number; backend: number; edgeLog?: boolean }): string {
  const edgeLog = o.edgeLog ? `
  log {
    output file ${dir}/logs/edge.json
    format json
  }` : '';
  return `${caddyTestGlobals(dir)}https://api.test:${o.edge} {
  tls ${serverCert.certPath} ${serverCert.keyPath} {
    client_auth {
      mode request
    }
  }${edgeLog}
  reverse_proxy 127.0.0.1:${o.backend} {
    header_up Client-Cert {http.request.tls.client.certificate_der_base64}
    header_up X-Request-ID {http.request.uuid}
  }
}
http://:${o.backend} {
  log {
    output file ${dir}/logs/backend.json
    format json
  }
  respond "ok"
}
`;
}

export interface CaddyProcess {
  output(): string;
  /** Graceful stop: Caddy flushes its logs on SIGTERM. */
  stop(): Promise<void>;
}

/** Writes `Caddyfile` in dir, validates it with caddy's own adapter, runs it and waits for the ports. */
export async function startCaddy(bin: string, dir: string, caddyfile: string, ports: number[]): Promise<CaddyProcess> {
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  mkdirSync(join(dir, 'caddy-home'), { recursive: true });
  const env = { ...process.env, HOME: join(dir, 'caddy-home'), XDG_DATA_HOME: join(dir, 'caddy-home'), XDG_CONFIG_HOME: join(dir, 'caddy-home') };
  const check = spawnSync(bin, ['validate', '--config', file, '--adapter', 'caddyfile'], { encoding: 'utf8', env });
  if (check.status !== 0) throw new Error(`caddy validate refused the Caddyfile: ${check.stderr.slice(-1500)}`);
  let out = '';
  const child: ChildProcess = spawn(bin, ['run', '--config', file, '--adapter', 'caddyfile'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (const p of ports) await waitForPort(p, 15_000, () => out.slice(-1500));
  return {
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
