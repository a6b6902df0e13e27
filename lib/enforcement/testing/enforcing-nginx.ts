// Test-only: the real NGINX (Debian, with libnginx-mod-http-js) running a generated enforcement
// configuration — or, for the "before" picture, the recommended logging-only one — in front of a
// real upstream on 127.0.0.1 that records which requests reached it.
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { NGINX_FORWARD_CLIENT_CERT, NGINX_NJS_LOAD_MODULE, NGINX_NJS_MODULE, nginxNjsHttpConfig } from '../../ingest/gateway-configs.ts';
import { nginxMtlsListen, tlsRequest, type ClientName, type GatewayPki, type TlsResponse } from '../../testing/gateway-pki.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { freePort } from '../../testing/processes.ts';
import { nginxEnforcementConfig } from '../nginx-enforcement-config.ts';
import type { NginxEnforcementConfig, NginxEnforcementOptions } from '../types.ts';

/** An HTTP upstream on 127.0.0.1 that answers 200 and remembers every path it was asked for. */
export interface RecordingUpstream {
  url: string;
  paths: string[];
  /** The Client-Cert header each path arrived with (what the gateway forwarded). */
  clientCert: Map<string, string | undefined>;
  close(): Promise<void>;
}

export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const paths: string[] = [];
  const clientCert = new Map<string, string | undefined>();
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    clientCert.set(req.url ?? '', req.headers['client-cert'] as string | undefined);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('upstream ok\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, paths, clientCert, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export interface RunningGateway {
  port: number;
  logPath: string;
  /** The generated configuration (null for the recommended logging-only one). */
  config: NginxEnforcementConfig | null;
  request(path: string, client: ClientName | null, headers?: Record<string, string>, method?: string): Promise<TlsResponse>;
  /** Stops NGINX (logs flushed) and returns the access log's text. */
  stop(): Promise<string>;
}

function gateway(pki: GatewayPki, port: number, logPath: string, config: NginxEnforcementConfig | null, stop: () => Promise<void>): RunningGateway {
  return {
    port,
    logPath,
    config,
    request: (path, client, headers = {}, method) => tlsRequest(pki, { port, path, client, headers, method }),
    async stop() {
      await stop();
      return readFileSync(logPath, 'utf8');
    },
  };
}

/**
 * NGINX with `nginxEnforcementConfig` as generated (its njs files written where it imports them),
 * listening on a free port with the test PKI's server certificate, client CA and CRL.
 */
export async function startEnforcingNginx(
  bin: string, pki: GatewayPki, name: string, upstream: string, opts: Pick<NginxEnforcementOptions, 'require'> & Partial<NginxEnforcementOptions>,
): Promise<RunningGateway> {
  const port = await freePort();
  const logPath = join(pki.dir, `${name}.log`);
  const config = nginxEnforcementConfig({
    upstream,
    logPath,
    njsDir: pki.dir,
    listen: `127.0.0.1:${port}`,
    scope: { serverName: 'api.test', locationPrefix: '/' },
    tls: { certificate: pki.serverCertPath, certificateKey: pki.serverKeyPath, clientCa: pki.caPath, crl: pki.crlPath },
    ...opts,
  });
  for (const f of config.files) writeFileSync(f.path, f.content);
  const nginx = await startNginx(bin, pki.dir, name, config.http, [port], config.main);
  return gateway(pki, port, logPath, config, () => nginx.stop());
}

/**
 * The "before" picture: the recommended logging-only NGINX configuration (the njs module and
 * log format of the Ingest page) proxying everything to the upstream, enforcing nothing; the
 * access log appends, so a gateway restarted under the same log path writes one log.
 */
export async function startLoggingOnlyNginx(
  bin: string, pki: GatewayPki, name: string, upstream: string, opts: { logPath?: string; crlPath?: string } = {},
): Promise<RunningGateway> {
  const port = await freePort();
  const logPath = opts.logPath ?? join(pki.dir, `${name}.log`);
  const njs = join(pki.dir, 'holdfast.js');
  writeFileSync(njs, NGINX_NJS_MODULE);
  // A CRL of its own: a gateway that never loads the CA's newer CRL keeps accepting what it revoked.
  const listen = opts.crlPath ? nginxMtlsListen(pki, port).replace(`ssl_crl ${pki.crlPath};`, `ssl_crl ${opts.crlPath};`) : nginxMtlsListen(pki, port);
  const nginx = await startNginx(bin, pki.dir, name, `${nginxNjsHttpConfig({ njsPath: njs })}
server {
${listen}
  server_name api.test;
  access_log ${logPath} holdfast_njs_json;
  location / {
    ${NGINX_FORWARD_CLIENT_CERT}
    proxy_pass ${upstream};
  }
}`, [port], NGINX_NJS_LOAD_MODULE);
  return gateway(pki, port, logPath, null, () => nginx.stop());
}
