// Test-only: the real HAProxy 2.6 (Debian) running a generated enforcement configuration — or,
// for the "before" picture, the recommended logging-only frontend — in front of a real upstream.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haproxyFrontend } from '../../ingest/gateway-configs.ts';
import { tlsRequest, type ClientName, type GatewayPki, type TlsResponse } from '../../testing/gateway-pki.ts';
import { HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { freePort } from '../../testing/processes.ts';
import { haproxyEnforcementConfig } from '../haproxy-enforcement-config.ts';
import type { HaproxyEnforcementOptions } from '../types.ts';

export interface RunningHaproxy {
  port: number;
  /** The whole configuration file HAProxy ran: what `--format haproxy` reads the log with. */
  configText: string;
  request(path: string, client: ClientName | null, headers?: Record<string, string>, method?: string): Promise<TlsResponse>;
  /** Stops HAProxy and returns its request log lines (its own notices left out). */
  stop(): Promise<string>;
}

function serverPem(pki: GatewayPki): string {
  const pem = join(pki.dir, 'server-haproxy.pem');
  writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
  return pem;
}

async function run(bin: string, pki: GatewayPki, name: string, port: number, configText: string): Promise<RunningHaproxy> {
  const haproxy = await startHaproxy(bin, pki.dir, name, configText, [port]);
  return {
    port,
    configText,
    request: (path, client, headers = {}, method) => tlsRequest(pki, { port, path, client, headers, method }),
    async stop() {
      await haproxy.stop();
      return readFileSync(haproxy.logFile, 'utf8').split('\n').filter((l) => l.startsWith('127.0.0.1 ')).join('\n') + '\n';
    },
  };
}

/** HAProxy with `haproxyEnforcementConfig` as generated, on a free port with the test PKI. */
export async function startEnforcingHaproxy(
  bin: string, pki: GatewayPki, name: string, upstream: string, opts: Pick<HaproxyEnforcementOptions, 'require'> & Partial<HaproxyEnforcementOptions>,
): Promise<RunningHaproxy> {
  const port = await freePort();
  const pem = serverPem(pki);
  const c = haproxyEnforcementConfig({
    upstream,
    logPath: join(pki.dir, `${name}.log`),
    bind: `127.0.0.1:${port}`,
    crtFile: pem,
    scope: { serverName: 'api.test', locationPrefix: '/' },
    tls: { certificate: pem, certificateKey: pem, clientCa: pki.caPath, crl: pki.crlPath },
    ...opts,
  });
  return run(bin, pki, name, port, `${HAPROXY_TEST_HEAD}${c.config}`);
}

/** The "before" picture: the recommended logging-only frontend forwarding everything to the upstream. */
export async function startLoggingOnlyHaproxy(bin: string, pki: GatewayPki, name: string, upstream: string): Promise<RunningHaproxy> {
  const port = await freePort();
  const frontend = haproxyFrontend({ bind: `127.0.0.1:${port}`, crtFile: serverPem(pki), caFile: pki.caPath, crlFile: pki.crlPath, logTarget: 'stdout', backend: 'app' });
  return run(bin, pki, name, port, `${HAPROXY_TEST_HEAD}${frontend}backend app\n  mode http\n  server upstream ${new URL(upstream).host}\n`);
}
