// Test-only: the certificate × token matrix the real-gateway tests drive through NGINX, Apache and
// HAProxy: good, mismatched, revoked, expired, untrusted, self-signed and missing client
// certificates, with bound, unbound, stolen and expired tokens. Tokens are JWT-shaped (unsigned:
// the gateways here do not check them, Holdfast reads their claims or their fingerprint), bound by
// `cnf.x5t#S256` to a certificate of the test PKI.
import { execFileSync, execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import https from 'node:https';
import { basename, join } from 'node:path';
import type { TokenBindingFacts } from '../binding/decide-verdict.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { openParseStream, type OpenedParseStream, type ParseStreamOptions } from '../ingest/parse-stream.ts';
import type { ClientCertInfo, ClientName, GatewayPki } from './gateway-pki.ts';

export type MatrixCert = ClientName | 'selfsigned' | null;
/** bound: to the presented certificate; stolen: bound to `good`'s certificate but sent without any; expired: bound, exp in the past. */
export type MatrixToken = 'bound' | 'unbound' | 'stolen' | 'expired';

export interface MatrixCase {
  name: string;
  cert: MatrixCert;
  token: MatrixToken;
  /** Whose certificate the token is bound to (bound, stolen, expired tokens); default: the presented one, else `good`. */
  boundTo?: ClientName;
}

export const BINDING_MATRIX: readonly MatrixCase[] = [
  { name: 'good-bound', cert: 'good', token: 'bound' },
  { name: 'good-unbound', cert: 'good', token: 'unbound' },
  { name: 'good-expired-token', cert: 'good', token: 'expired' },
  // A valid certificate of another workload with a token bound to svc-a's: the gateway is happy,
  // the binding is not.
  { name: 'mismatched-bound', cert: 'other', token: 'bound', boundTo: 'good' },
  // svc-a's bound token replayed by someone without its key.
  { name: 'stolen-no-cert', cert: null, token: 'stolen', boundTo: 'good' },
  { name: 'revoked-bound', cert: 'revoked', token: 'bound' },
  { name: 'expired-cert', cert: 'expired', token: 'unbound' },
  { name: 'untrusted-cert', cert: 'untrusted', token: 'unbound' },
  { name: 'selfsigned-cert', cert: 'selfsigned', token: 'unbound' },
  { name: 'no-cert-unbound', cert: null, token: 'unbound' },
];

export interface SelfSigned {
  certPath: string;
  keyPath: string;
  x5t: string;
  subject: string;
  serialHex: string;
}

/** A self-signed client certificate (`O=Test, CN=svc-f`) beside the PKI, made by the openssl CLI. */
export function addSelfSigned(pki: GatewayPki): SelfSigned {
  const certPath = join(pki.dir, 'selfsigned.crt');
  const keyPath = join(pki.dir, 'selfsigned.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '30', '-subj', '/O=Test/CN=svc-f'], { stdio: 'ignore' });
  const ossl = (...a: string[]) => execFileSync('openssl', ['x509', '-in', certPath, '-noout', ...a], { encoding: 'utf8' }).trim();
  return {
    certPath,
    keyPath,
    x5t: execSync(`openssl x509 -in '${certPath}' -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`, { encoding: 'utf8' }).trim(),
    subject: ossl('-subject', '-nameopt', 'RFC2253').replace(/^subject=/, ''),
    serialHex: ossl('-serial').replace(/^serial=/, '').toUpperCase(),
  };
}

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export interface CaseToken {
  token: string;
  /** base64url SHA-256 of the token: Holdfast's token fingerprint. */
  fingerprint: string;
  facts: TokenBindingFacts;
}

/** The token a case sends, and what an inventory would know about it. */
export function tokenFor(pki: GatewayPki, c: MatrixCase, now = Date.now()): CaseToken {
  const boundTo = c.boundTo ?? (c.cert && c.cert !== 'selfsigned' ? c.cert : 'good');
  const bound = c.token !== 'unbound';
  const exp = Math.floor(now / 1000) + (c.token === 'expired' ? -3600 : 3600);
  const x5t = pki.clients[boundTo].x5t;
  const claims = { iss: 'https://as.test', sub: `svc-${c.name}`, client_id: `client-${c.name}`, jti: c.name, exp, ...(bound ? { cnf: { 'x5t#S256': x5t } } : {}) };
  const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u(claims)}.c2lnLW5vdC1jaGVja2Vk`;
  return {
    token,
    fingerprint: createHash('sha256').update(token).digest('base64url'),
    facts: bound ? { binding: 'mtls', cnfX5tS256: x5t, expiresAt: new Date(exp * 1000) } : { binding: 'bearer', expiresAt: new Date(exp * 1000) },
  };
}

/** One HTTPS request as the case's client (fresh TLS session); the status, or 'handshake_failed'. */
export function requestCase(pki: GatewayPki, selfSigned: SelfSigned, port: number, c: MatrixCase, headers: Record<string, string>): Promise<number | 'handshake_failed'> {
  const files = c.cert === 'selfsigned' ? selfSigned : c.cert ? pki.clients[c.cert] : null;
  return new Promise((resolve) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: `/case/${c.name}?via=test`,
        method: 'GET',
        ca: readFileSync(pki.caPath),
        servername: 'api.test',
        cert: files ? readFileSync(files.certPath) : undefined,
        key: files ? readFileSync(files.keyPath) : undefined,
        headers: { host: `api.test:${port}`, 'X-Request-ID': `rid-${c.name}`, ...headers },
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve('handshake_failed'));
    req.end();
  });
}

/** The matrix case a logged request belongs to: requests go to `/case/<name>`. */
export function caseOf(e: NormalizedEvent): string {
  return e.url?.replace(/^.*\/case\//, '').replace(/\?.*$/, '') ?? '';
}

/** The certificate files a case presents (its facts computed by openssl), or null for none. */
export function clientFilesOf(pki: GatewayPki, selfSigned: SelfSigned, c: MatrixCase): SelfSigned | ClientCertInfo | null {
  return c.cert === 'selfsigned' ? selfSigned : c.cert ? pki.clients[c.cert] : null;
}

export interface DrivenCase {
  outcome: number | 'handshake_failed';
  token: CaseToken;
}

/** Sends every matrix case once to the port, with its token in `Authorization: Bearer`, in order. */
export async function driveMatrix(pki: GatewayPki, selfSigned: SelfSigned, port: number, extraHeaders: Record<string, string> = {}): Promise<Map<string, DrivenCase>> {
  const out = new Map<string, DrivenCase>();
  for (const c of BINDING_MATRIX) {
    const token = tokenFor(pki, c);
    out.set(c.name, { token, outcome: await requestCase(pki, selfSigned, port, c, { Authorization: `Bearer ${token.token}`, ...extraHeaders }) });
  }
  return out;
}

export interface ReadLog {
  events: NormalizedEvent[];
  /** `<file>:<line>: <message>` of every rejected line. */
  rejected: string[];
  compiled?: OpenedParseStream['compiled'];
}

/** A gateway's log file through openParseStream, as the pipeline reads it. */
export async function readLog(path: string, opts: ParseStreamOptions): Promise<ReadLog> {
  const s = await openParseStream(createReadStream(path), opts);
  const out: ReadLog = { events: [], rejected: [], compiled: s.compiled };
  for await (const r of s.results) {
    if (r.result.kind === 'event') out.events.push(r.result.event);
    else if (r.result.kind === 'error') out.rejected.push(`${basename(path)}:${r.lineNo}: ${r.result.message}`);
  }
  return out;
}
