// Test-only: a client-certificate PKI made by the real openssl for gateway tests (NGINX, Caddy,
// HAProxy, Apache), real TLS clients, and waiting for a gateway to listen. Every certificate fact
// the tests compare against is computed here independently of Holdfast's parsers: by the openssl
// CLI and the shell pipeline of STANDARDS.md.
import { execFileSync, execSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type ClientName = 'good' | 'other' | 'revoked' | 'expired' | 'untrusted';
export const CLIENT_NAMES: readonly ClientName[] = ['good', 'other', 'revoked', 'expired', 'untrusted'];

export interface ClientCertInfo {
  name: ClientName;
  cn: string;
  certPath: string;
  keyPath: string;
  pem: string;
  /** base64 of the DER (what an RFC 9440 byte sequence carries between its colons). */
  derB64: string;
  /** x5t#S256 by `openssl x509 -outform DER | openssl dgst -sha256 -binary | basenc --base64url`. */
  x5t: string;
  sha256Hex: string;
  sha1Hex: string;
  /** RFC 2253 subject as openssl prints it (`O=Test,CN=svc-a`). */
  subject: string;
  /** Upper-case hex serial as openssl prints it. */
  serialHex: string;
  serialDec: string;
}

export interface GatewayPki {
  dir: string;
  caPath: string;
  serverCertPath: string;
  serverKeyPath: string;
  /** CRL of the test CA listing `revoked`. */
  crlPath: string;
  clients: Record<ClientName, ClientCertInfo>;
  cleanup(): void;
}

/** An `openssl ca` configuration for a test CA in `dir` (its database, serials, a client_ext section). */
export const CA_CNF = (dir: string) => `[ ca ]
default_ca = CA_default
[ CA_default ]
dir = ${dir}
database = ${dir}/index.txt
new_certs_dir = ${dir}/newcerts
certificate = ${dir}/ca.crt
private_key = ${dir}/ca.key
serial = ${dir}/serial
crlnumber = ${dir}/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 30
policy = policy_any
unique_subject = no
copy_extensions = copy
[ policy_any ]
organizationName = optional
commonName = supplied
[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
`;

const CLIENT_CN: Record<ClientName, string> = { good: 'svc-a', other: 'svc-e', revoked: 'svc-b', expired: 'svc-c', untrusted: 'svc-d' };

/**
 * A test CA (`CN=Test Client CA,O=Test`), a server certificate for 127.0.0.1 and `api.test`,
 * client certificates good (svc-a), other (svc-e), revoked (svc-b, on the CRL), expired (svc-c,
 * 2020) from that CA, and untrusted (svc-d) from another CA.
 */
export function createGatewayPki(prefix = 'holdfast-gw-'): GatewayPki {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  writeFileSync(join(dir, 'ca.cnf'), CA_CNF(dir));
  mkdirSync(join(dir, 'newcerts'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=Test Client CA/O=Test');
  ossl('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '30', '-subj', '/CN=Other CA/O=Elsewhere');
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:api.test,DNS:backend.test\nextendedKeyUsage=serverAuth\n');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'server.ext');
  for (const name of ['good', 'other', 'revoked', 'expired'] as const) {
    ossl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Test/CN=${CLIENT_CN[name]}`);
    const dates = name === 'expired' ? ['-startdate', '20200101000000Z', '-enddate', '20210101000000Z'] : [];
    ossl('ca', '-batch', '-config', 'ca.cnf', '-extensions', 'client_ext', '-in', `${name}.csr`, '-out', `${name}.crt`, ...dates);
  }
  ossl('req', ...ec, '-keyout', 'untrusted.key', '-out', 'untrusted.csr', '-subj', `/O=Test/CN=${CLIENT_CN.untrusted}`);
  ossl('x509', '-req', '-in', 'untrusted.csr', '-CA', 'other-ca.crt', '-CAkey', 'other-ca.key', '-CAcreateserial', '-out', 'untrusted.crt', '-days', '30');
  ossl('ca', '-batch', '-config', 'ca.cnf', '-revoke', 'revoked.crt');
  ossl('ca', '-batch', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem');

  const clients = {} as Record<ClientName, ClientCertInfo>;
  for (const name of CLIENT_NAMES) {
    const certPath = join(dir, `${name}.crt`);
    const pem = readFileSync(certPath, 'utf8');
    // openssl x509 writes the certificate itself after the text dump `openssl ca` puts before it.
    const pemOnly = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/.exec(pem)![0];
    const serialHex = ossl('x509', '-in', certPath, '-noout', '-serial').trim().replace(/^serial=/, '').toUpperCase();
    clients[name] = {
      name,
      cn: CLIENT_CN[name],
      certPath,
      keyPath: join(dir, `${name}.key`),
      pem: pemOnly,
      derB64: pemOnly.replace(/-----[A-Z ]+-----|\s/g, ''),
      x5t: execSync(`openssl x509 -in '${certPath}' -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`, { encoding: 'utf8' }).trim(),
      sha256Hex: ossl('x509', '-in', certPath, '-noout', '-fingerprint', '-sha256').trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase(),
      sha1Hex: ossl('x509', '-in', certPath, '-noout', '-fingerprint', '-sha1').trim().replace(/^.*=/, '').replace(/:/g, '').toLowerCase(),
      subject: ossl('x509', '-in', certPath, '-noout', '-subject', '-nameopt', 'RFC2253').trim().replace(/^subject=/, ''),
      serialHex,
      serialDec: BigInt(`0x${serialHex}`).toString(10),
    };
  }
  return {
    dir,
    caPath: join(dir, 'ca.crt'),
    serverCertPath: join(dir, 'server.crt'),
    serverKeyPath: join(dir, 'server.key'),
    crlPath: join(dir, 'crl.pem'),
    clients,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TlsRequestOptions {
  port: number;
  path: string;
  /** One of the PKI's clients, or a certificate and key made elsewhere (paths), or none. */
  client: ClientName | { certPath: string; keyPath: string } | null;
  headers?: Record<string, string>;
  /** SNI and Host; the server certificate names api.test and 127.0.0.1. */
  servername?: string;
  method?: string;
}

export interface TlsResponse {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One HTTPS request with a fresh TLS session (no resumption across client certificates). Rejects when the handshake fails. */
export function tlsRequest(pki: GatewayPki, o: TlsRequestOptions): Promise<TlsResponse> {
  const servername = o.servername ?? 'api.test';
  const c = typeof o.client === 'string' ? pki.clients[o.client] : o.client;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: o.port,
        path: o.path,
        method: o.method ?? 'GET',
        ca: readFileSync(pki.caPath),
        servername,
        cert: c ? readFileSync(c.certPath) : undefined,
        key: c ? readFileSync(c.keyPath) : undefined,
        headers: { host: `${servername}:${o.port}`, ...o.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, ms: number, whyNot: () => string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.destroy();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms: ${whyNot()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** NGINX server-block lines for an mTLS listener on 127.0.0.1:port with this PKI (CA, CRL, optional verification, no session reuse). */
export function nginxMtlsListen(pki: GatewayPki, port: number): string {
  return `  listen 127.0.0.1:${port} ssl;
  ssl_certificate ${pki.serverCertPath};
  ssl_certificate_key ${pki.serverKeyPath};
  ssl_client_certificate ${pki.caPath};
  ssl_crl ${pki.crlPath};
  ssl_verify_client optional;
  ssl_session_cache off;
  ssl_session_tickets off;`;
}
