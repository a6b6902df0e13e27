// Test-only: a real NGINX (Debian package) as an mTLS gateway with an OpenSSL test CA and CRL,
// logging with the exact formats lib/ingest exports (the JSON one extended with
// $http_authorization so logged tokens can be fingerprinted), on the shared test PKI
// (lib/testing/gateway-pki.ts) plus the unusual client certificates below.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { join } from 'node:path';
export { findNginx } from '../../../testing/processes.ts';
import { createGatewayPki, waitForPort } from '../../../testing/gateway-pki.ts';
import { freePort } from '../../../testing/processes.ts';
import { NGINX_AUTH_MAPS, NGINX_COMBINED_LOG_FORMAT, NGINX_JSON_LOG_FORMAT } from '../../../ingest/index.ts';


/**
 * Client certificates the gateway's CA set-up offers. Besides the first five: `selfsigned` (no CA
 * at all), `notyet` (notBefore in 2099), `purpose` (a serverAuth-only certificate used as a
 * client's), `chain` (another CA's leaf sent with that CA's self-signed root), `intermediate`
 * (another CA's leaf sent with its intermediate, not its root) and `forged` (issuer name of the
 * trusted CA, CN of svc-a, signed by a look-alike CA's key).
 */
export type ClientCert =
  | 'good' | 'other' | 'revoked' | 'expired' | 'untrusted'
  | 'selfsigned' | 'notyet' | 'purpose' | 'chain' | 'intermediate' | 'forged';
export const CLIENT_CERTS: readonly ClientCert[] = ['good', 'other', 'revoked', 'expired', 'untrusted', 'selfsigned', 'notyet', 'purpose', 'chain', 'intermediate', 'forged'];

export interface NginxGatewayOptions {
  /** Configure the CA's CRL (`ssl_crl`); default true. Without it, OpenSSL names untrusted certificates differently. */
  crl?: boolean;
  /** More access logs, each `log_format` text (named `name`) written to `<dir>/<name>.log`. */
  extraLogs?: { name: string; logFormat: string }[];
}

export interface CertFacts {
  x5t: string;
  sha1: string;
  subject: string;
  /** Lower-case hex serial. */
  serial: string;
}

/** The documented JSON format plus `"http_authorization"` (hashed at parse time, then dropped). */
export const NGINX_JSON_WITH_AUTH = NGINX_JSON_LOG_FORMAT.replace('log_format holdfast_json', 'log_format holdfast_json_auth').replace(
  `"http_dpop":"$http_dpop"}'`,
  `"http_dpop":"$http_dpop","http_authorization":"$http_authorization"}'`,
);

export interface NginxGateway {
  dir: string;
  port: number;
  certs: Record<ClientCert, CertFacts>;
  request(path: string, cert: ClientCert | null, headers: Record<string, string>): Promise<number>;
  /** Graceful stop (flushes the logs); returns the log file paths (extra logs by name). */
  stop(): Promise<{ json: string; combined: string; extra: Record<string, string> }>;
  cleanup(): void;
}

/**
 * The request id NGINX gave each line of its JSON log, by request path (query included). Events
 * are looked up by request id, which every storage keeps, rather than by URL, which the evidence
 * ledger drops for accepted requests.
 */
export function requestIdsByPath(jsonLog: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(jsonLog, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const o = JSON.parse(line) as { uri: string; request_id: string };
    if (out.has(o.uri)) throw new Error(`${o.uri} was requested twice: paths must be unique to look lines up by them`);
    out.set(o.uri, o.request_id);
  }
  return out;
}

export async function startNginxGateway(nginxBin: string, opts: NginxGatewayOptions = {}): Promise<NginxGateway> {
  const withCrl = opts.crl ?? true;
  // The shared test PKI (CA, CRL listing `revoked`, server certificate, the five common clients),
  // plus the odd certificates only these tests need, made in the same directory.
  const pki = createGatewayPki('holdfast-ingest-nginx-');
  const dir = pki.dir;
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  appendFileSync(join(dir, 'ca.cnf'), '[ server_only_ext ]\nbasicConstraints = CA:FALSE\nkeyUsage = digitalSignature\nextendedKeyUsage = serverAuth\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const client = (name: string, cn: string, extra: string[], ext = 'client_ext') => {
    ossl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Test/CN=${cn}`);
    ossl('ca', '-batch', '-config', 'ca.cnf', '-extensions', ext, '-in', `${name}.csr`, '-out', `${name}.crt`, ...extra);
  };
  const signedBy = (name: string, cn: string, ca: string, extra: string[] = []) => {
    ossl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Test/CN=${cn}`);
    ossl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '30', ...extra);
  };
  client('notyet', 'svc-f', ['-startdate', '20990101000000Z', '-enddate', '20991231000000Z']);
  client('purpose', 'svc-g', [], 'server_only_ext');
  ossl('req', '-x509', ...ec, '-keyout', 'selfsigned.key', '-out', 'selfsigned.crt', '-days', '30', '-subj', '/O=Test/CN=svc-h');
  // Another CA's leaf with that CA's self-signed root in the chain the client sends.
  writeFileSync(join(dir, 'chain.crt'), readFileSync(join(dir, 'untrusted.crt'), 'utf8') + readFileSync(join(dir, 'other-ca.crt'), 'utf8'));
  writeFileSync(join(dir, 'chain.key'), readFileSync(join(dir, 'untrusted.key')));
  // Another CA's leaf sent with its intermediate (the root stays with its owner).
  writeFileSync(join(dir, 'inter.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign,cRLSign\n');
  ossl('req', ...ec, '-keyout', 'inter.key', '-out', 'inter.csr', '-subj', '/CN=Other Intermediate/O=Elsewhere');
  ossl('x509', '-req', '-in', 'inter.csr', '-CA', 'other-ca.crt', '-CAkey', 'other-ca.key', '-CAcreateserial', '-out', 'inter.crt', '-days', '30', '-extfile', 'inter.ext');
  signedBy('intermediate-leaf', 'svc-i', 'inter');
  writeFileSync(join(dir, 'intermediate.crt'), readFileSync(join(dir, 'intermediate-leaf.crt'), 'utf8') + readFileSync(join(dir, 'inter.crt'), 'utf8'));
  writeFileSync(join(dir, 'intermediate.key'), readFileSync(join(dir, 'intermediate-leaf.key')));
  // svc-a's name under the trusted CA's name, signed by a look-alike CA's key: a forgery.
  ossl('req', '-x509', ...ec, '-keyout', 'lookalike-ca.key', '-out', 'lookalike-ca.crt', '-days', '30', '-subj', '/CN=Test Client CA/O=Test');
  signedBy('forged', 'svc-a', 'lookalike-ca');
  const certs = {} as Record<ClientCert, CertFacts>;
  for (const n of CLIENT_CERTS) {
    const c = new X509Certificate(readFileSync(join(dir, `${n}.crt`)));
    certs[n] = {
      x5t: createHash('sha256').update(c.raw).digest('base64url'),
      sha1: createHash('sha1').update(c.raw).digest('hex'),
      subject: ossl('x509', '-in', `${n}.crt`, '-noout', '-subject', '-nameopt', 'RFC2253').trim().replace(/^subject=/, ''),
      serial: c.serialNumber.toLowerCase(),
    };
  }

  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  writeFileSync(join(dir, 'nginx.conf'), `${asRoot ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  client_body_temp_path ${dir}/tmp_body; proxy_temp_path ${dir}/tmp_proxy; fastcgi_temp_path ${dir}/tmp_fcgi;
  uwsgi_temp_path ${dir}/tmp_uwsgi; scgi_temp_path ${dir}/tmp_scgi;
  default_type text/plain;
  ${NGINX_AUTH_MAPS}
  ${NGINX_JSON_WITH_AUTH}
  ${NGINX_COMBINED_LOG_FORMAT}
  ${(opts.extraLogs ?? []).map((l) => l.logFormat).join('\n  ')}
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/server.crt;
    ssl_certificate_key ${dir}/server.key;
    ssl_client_certificate ${dir}/ca.crt;
    ${withCrl ? `ssl_crl ${dir}/crl.pem;` : ''}
    ssl_verify_client optional;
    ssl_verify_depth 2;
    ssl_session_cache off;
    ssl_session_tickets off;
    access_log ${dir}/access.json holdfast_json_auth;
    access_log ${dir}/access.log holdfast_combined;
    ${(opts.extraLogs ?? []).map((l) => `access_log ${dir}/${l.name}.log ${l.name};`).join('\n    ')}
    location / { return 200 "ok\\n"; }
  }
}
`);
  const t = spawnSync(nginxBin, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t failed: ${t.stderr}`);
  let proc: ChildProcess | null = spawn(nginxBin, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  await waitForPort(port, 10_000, () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000) : ''));
  const ca = readFileSync(join(dir, 'ca.crt'));
  return {
    dir,
    port,
    certs,
    request(path, cert, headers) {
      return new Promise((resolve, reject) => {
        const req = https.request(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'GET',
            ca,
            servername: 'api.test',
            cert: cert ? readFileSync(join(dir, `${cert}.crt`)) : undefined,
            key: cert ? readFileSync(join(dir, `${cert}.key`)) : undefined,
            headers: { host: 'api.test', ...headers },
            agent: false,
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end();
      });
    },
    async stop() {
      if (proc && proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          proc!.once('exit', () => resolve());
          proc!.kill('SIGQUIT');
        });
      }
      proc = null;
      return { json: join(dir, 'access.json'), combined: join(dir, 'access.log'), extra: Object.fromEntries((opts.extraLogs ?? []).map((l) => [l.name, join(dir, `${l.name}.log`)])) };
    },
    cleanup() {
      if (proc && proc.exitCode === null) proc.kill('SIGKILL');
      pki.cleanup();
    },
  };
}
