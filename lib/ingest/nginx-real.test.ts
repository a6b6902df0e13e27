// A real NGINX (Debian package `nginx`) as an mTLS gateway with a test CA and CRL, driven by
// real TLS clients; its JSON and combined logs must parse to the facts the test knows.
// Skips when nginx is not installed, unless CI=true (then it must run).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { NGINX_COMBINED_LOG_FORMAT } from './formats/nginx-combined.ts';
import { NGINX_AUTH_MAPS, NGINX_JSON_LOG_FORMAT } from './formats/nginx-json.ts';
import { findNginx } from '../testing/processes.ts';
import { openParseStream } from './parse-stream.ts';
import { createReadStream } from 'node:fs';
import type { FormatName } from './types.ts';
import { certFailureOfVerify, decideVerdict } from '../binding/index.ts';
import { startNginxGateway, type ClientCert } from '../services/ingest/testing/nginx-gateway.ts';


const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) {
  console.warn('nginx-real.test.ts: skipped — nginx is not installed (apt-get install -y nginx); set CI=true to make this a failure');
}

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const FAKE_JWT = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', jti: 'real-1' })}.ZmFrZS1zaWduYXR1cmUtZm9yLXRlc3Q`;
const FAKE_PROOF = `${b64u({ typ: 'dpop+jwt', alg: 'ES256' })}.${b64u({ htm: 'GET', jti: 'p-real' })}.ZmFrZS1wcm9vZi1zaWduYXR1cmU`;
const FAKE_OPAQUE = 'opaque_fake_token_for_nginx_test_0001';

interface Case {
  name: string;
  cert: 'good' | 'other' | 'revoked' | 'expired' | 'untrusted' | null;
  headers: Record<string, string> | (() => Record<string, string>);
  status: number;
  verify: RegExp;
  verdict: NormalizedEvent['sourceVerdict'] extends infer V ? (V extends { verdict: infer X } ? X : never) | null : never;
  scheme: string | null;
  dpop: boolean;
}

const CASES: Case[] = [
  { name: 'good-bearer', cert: 'good', headers: { Authorization: `Bearer ${FAKE_OPAQUE}` }, status: 200, verify: /^SUCCESS$/, verdict: null, scheme: 'Bearer', dpop: false },
  { name: 'good-dpop', cert: 'good', headers: { Authorization: `DPoP ${FAKE_JWT}`, DPoP: FAKE_PROOF }, status: 200, verify: /^SUCCESS$/, verdict: null, scheme: 'DPoP', dpop: true },
  // Valid certificate of another workload presenting a token bound (cnf x5t#S256) to svc-a's:
  // the gateway says SUCCESS; the mismatch is for the binding engine, from the facts parsed here.
  { name: 'mismatched', cert: 'other', headers: () => ({ Authorization: `Bearer ${mismatchToken()}` }), status: 200, verify: /^SUCCESS$/, verdict: null, scheme: 'Bearer', dpop: false },
  { name: 'revoked', cert: 'revoked', headers: { Authorization: `Bearer ${FAKE_OPAQUE}` }, status: 400, verify: /^FAILED:certificate revoked$/, verdict: 'cert_revoked', scheme: 'Bearer', dpop: false },
  { name: 'expired', cert: 'expired', headers: { Authorization: `Bearer ${FAKE_JWT}` }, status: 400, verify: /^FAILED:certificate has expired$/, verdict: 'cert_expired', scheme: 'Bearer', dpop: false },
  { name: 'untrusted', cert: 'untrusted', headers: { Authorization: `DPoP ${FAKE_JWT}`, DPoP: FAKE_PROOF }, status: 400, verify: /^FAILED:unable to (get local issuer|verify the first)/, verdict: 'cert_untrusted', scheme: 'DPoP', dpop: true },
  { name: 'no-cert', cert: null, headers: {}, status: 200, verify: /^NONE$/, verdict: null, scheme: null, dpop: false },
  { name: 'no-cert-bearer', cert: null, headers: { Authorization: `Bearer ${FAKE_OPAQUE}` }, status: 200, verify: /^NONE$/, verdict: null, scheme: 'Bearer', dpop: false },
];

let goodX5t = '';
const mismatchToken = () => `${b64u({ alg: 'ES256' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', jti: 'bound-1', cnf: { 'x5t#S256': goodX5t } })}.ZmFrZS1zaWc`;

const describeNginx = NGINX || IN_CI ? describe : describe.skip;

describeNginx('real NGINX mTLS gateway logs', () => {
  let dir = '';
  let nginx: ChildProcess | null = null;
  let port = 0;
  const certFacts: Record<string, { x5t: string; sha1: string; subject: string; serial: string }> = {};
  const byCase = new Map<string, { json: NormalizedEvent; combined: NormalizedEvent; auth: NormalizedEvent }>();
  const parsed: Record<string, NormalizedEvent[]> = {};

  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

  function makePki(): void {
    writeFileSync(join(dir, 'ca.cnf'), `[ ca ]
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
[ req ]
distinguished_name = dn
[ dn ]
[ client_ext ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
`);
    ossl('version');
    execFileSync('mkdir', ['-p', join(dir, 'newcerts')]);
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), '1000\n');
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ossl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=Test Client CA/O=Test');
    ossl('req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '30', '-subj', '/CN=Other CA/O=Elsewhere');
    // Server certificate for 127.0.0.1, signed by the same CA (the client trusts ca.crt).
    ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'server.ext');
    const client = (name: string, cn: string, extra: string[]) => {
      ossl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=Test/CN=${cn}`);
      ossl('ca', '-batch', '-config', 'ca.cnf', '-extensions', 'client_ext', '-in', `${name}.csr`, '-out', `${name}.crt`, ...extra);
    };
    client('good', 'svc-a', []);
    client('other', 'svc-e', []);
    client('revoked', 'svc-b', []);
    client('expired', 'svc-c', ['-startdate', '20200101000000Z', '-enddate', '20210101000000Z']);
    ossl('req', ...ec, '-keyout', 'untrusted.key', '-out', 'untrusted.csr', '-subj', '/O=Test/CN=svc-d');
    ossl('x509', '-req', '-in', 'untrusted.csr', '-CA', 'other-ca.crt', '-CAkey', 'other-ca.key', '-CAcreateserial', '-out', 'untrusted.crt', '-days', '30');
    ossl('ca', '-batch', '-config', 'ca.cnf', '-revoke', 'revoked.crt');
    ossl('ca', '-batch', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem');
    for (const n of ['good', 'other', 'revoked', 'expired', 'untrusted']) {
      const pem = readFileSync(join(dir, `${n}.crt`), 'utf8');
      const c = new X509Certificate(pem);
      certFacts[n] = {
        x5t: createHash('sha256').update(c.raw).digest('base64url'),
        sha1: createHash('sha1').update(c.raw).digest('hex'),
        subject: ossl('x509', '-in', `${n}.crt`, '-noout', '-subject', '-nameopt', 'RFC2253').trim().replace(/^subject=/, ''),
        serial: c.serialNumber.toLowerCase(),
      };
    }
  }

  async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
  }

  async function waitForPort(p: number, ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const sock = net.connect(p, '127.0.0.1', () => {
          sock.destroy();
          resolve(true);
        });
        sock.once('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > until) throw new Error(`nginx did not listen on ${p}: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function request(c: Case): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        {
          host: '127.0.0.1',
          port,
          path: `/case/${c.name}`,
          method: 'GET',
          ca: readFileSync(join(dir, 'ca.crt')),
          cert: c.cert ? readFileSync(join(dir, `${c.cert}.crt`)) : undefined,
          key: c.cert ? readFileSync(join(dir, `${c.cert}.key`)) : undefined,
          headers: typeof c.headers === 'function' ? c.headers() : c.headers,
          agent: false, // a fresh TLS session per request: no resumption across client certificates
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  async function parseFile(file: string, format: FormatName): Promise<NormalizedEvent[]> {
    const { results } = await openParseStream(createReadStream(join(dir, file)), { format });
    const out: NormalizedEvent[] = [];
    for await (const r of results) {
      if (r.result.kind !== 'event') throw new Error(`${file} line ${r.lineNo}: ${JSON.stringify(r.result)}`);
      out.push(r.result.event);
    }
    return out;
  }

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed: apt-get install -y nginx');
    dir = mkdtempSync(join(tmpdir(), 'holdfast-nginx-'));
    makePki();
    goodX5t = certFacts.good!.x5t;
    port = await freePort();
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
  ${NGINX_JSON_LOG_FORMAT}
  ${NGINX_COMBINED_LOG_FORMAT}
  log_format with_auth escape=json '{"time":"$time_iso8601","uri":"$request_uri","status":$status,"ssl_client_verify":"$ssl_client_verify","http_authorization":"$http_authorization"}';
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/server.crt;
    ssl_certificate_key ${dir}/server.key;
    ssl_client_certificate ${dir}/ca.crt;
    ssl_crl ${dir}/crl.pem;
    ssl_verify_client optional;
    ssl_verify_depth 2;
    ssl_session_cache off;
    ssl_session_tickets off;
    access_log ${dir}/access.json holdfast_json;
    access_log ${dir}/access.log holdfast_combined;
    access_log ${dir}/auth.json with_auth;
    location / { return 200 "ok\\n"; }
  }
}
`);
    const t = spawnSync(NGINX, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf')], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`nginx -t failed: ${t.stderr}`);
    nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForPort(port, 10_000);
    for (const c of CASES) {
      const status = await request(c);
      expect(status, `${c.name} HTTP status seen by the client`).toBe(c.status);
    }
    // Graceful stop flushes and closes the logs.
    await new Promise<void>((resolve) => {
      nginx!.once('exit', () => resolve());
      nginx!.kill('SIGQUIT');
    });
    nginx = null;
    parsed.json = await parseFile('access.json', 'nginx-json');
    parsed.combined = await parseFile('access.log', 'nginx-combined');
    parsed.auth = await parseFile('auth.json', 'nginx-json');
    const key = (e: NormalizedEvent) => (e.url ?? '').replace(/^https?:\/\/[^/]+/, '').replace('/case/', '');
    for (const c of CASES) {
      const json = parsed.json.find((e) => key(e) === c.name);
      const combined = parsed.combined.find((e) => key(e) === c.name);
      const auth = parsed.auth.find((e) => key(e) === c.name);
      if (json && combined && auth) byCase.set(c.name, { json, combined, auth });
    }
  }, 60_000);

  afterAll(() => {
    if (nginx && nginx.exitCode === null) nginx.kill('SIGKILL');
    if (dir && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  });

  it('logged one line per request in every log', () => {
    expect(parsed.json).toHaveLength(CASES.length);
    expect(parsed.combined).toHaveLength(CASES.length);
    expect([...byCase.keys()].sort()).toEqual(CASES.map((c) => c.name).sort());
  });

  it.each(CASES.map((c) => [c.name, c]))('%s: status, verify outcome, verdict, scheme and DPoP presence', (_n, c) => {
    const { json, combined } = byCase.get(c.name)!;
    for (const e of [json, combined]) {
      expect(e.httpStatus).toBe(c.status);
      expect(e.cert?.verify).toMatch(c.verify);
      expect(e.sourceVerdict?.verdict ?? null).toBe(c.verdict);
      expect(e.authScheme).toBe(c.scheme);
      expect(e.hasDpop).toBe(c.dpop);
      expect(e.method).toBe('GET');
      expect(e.clientIp).toBe('127.0.0.1');
      expect(e.requestId).toMatch(/^[0-9a-f]{32}$/);
    }
    expect(json.dpopProof).toBe(c.dpop ? FAKE_PROOF : null);
    expect(json.requestId).toBe(combined.requestId);
  });

  it.each(CASES.filter((c) => c.cert).map((c) => [c.name, c]))('%s: certificate facts match the certificate presented', (_n, c) => {
    const f = certFacts[c.cert!]!;
    const { json, combined } = byCase.get(c.name)!;
    for (const e of [json, combined]) {
      expect(e.cert?.x5tS256).toBe(f.x5t);
      expect(e.cert?.sha1Hex).toBe(f.sha1);
      expect(e.cert?.subjectDn).toBe(f.subject);
      expect(e.cert?.serial?.toLowerCase()).toBe(f.serial);
    }
    if (c.cert === 'expired') expect(json.cert?.notAfter?.getTime()).toBeLessThan(Date.now());
    if (c.cert === 'untrusted') expect(json.cert?.issuerDn).toContain('Other CA');
  });

  it('mismatched: the presented certificate and the token cnf parse to different x5t#S256', () => {
    const { json, auth } = byCase.get('mismatched')!;
    expect(json.cert?.x5tS256).toBe(certFacts.other!.x5t);
    expect(auth.tokenClaims?.cnf).toEqual({ 'x5t#S256': certFacts.good!.x5t });
    expect(json.cert?.x5tS256).not.toBe(certFacts.good!.x5t);
  });

  it('no-cert requests carry no certificate facts', () => {
    const { json } = byCase.get('no-cert')!;
    expect(json.cert).toMatchObject({ verify: 'NONE', x5tS256: null, subjectDn: null, sha1Hex: null });
  });

  it('a logged Authorization header becomes a fingerprint and claims; the raw token is nowhere in the output', () => {
    const dpop = byCase.get('good-dpop')!.auth;
    expect(dpop.tokenFingerprint).toBe(createHash('sha256').update(FAKE_JWT).digest('base64url'));
    expect(dpop.tokenClaims).toMatchObject({ client_id: 'svc-a', jti: 'real-1' });
    const bearer = byCase.get('good-bearer')!.auth;
    expect(bearer.tokenFingerprint).toBe(createHash('sha256').update(FAKE_OPAQUE).digest('base64url'));
    const out = JSON.stringify([...byCase.values()].flatMap((v) => [v.auth, v.combined, { ...v.json, dpopProof: null }]));
    expect(out).not.toContain(FAKE_OPAQUE);
    expect(out).not.toContain(FAKE_JWT);
    expect(out).not.toContain(FAKE_PROOF);
  });
});

// Issue #16: the exact `$ssl_client_verify` texts NGINX 1.22 on OpenSSL 3 prints for each kind of
// bad client certificate — with the CA's CRL configured and without (OpenSSL then names untrusted
// certificates differently) — and the certificate verdict each must give, whatever the token.
// Every text here came from this real nginx; lib/credentials/cert-failure.test.ts keeps the
// same table for the pure mapping.
const EXACT_TEXTS: Array<[ClientCert, 'crl' | 'no crl', string, 'cert_revoked' | 'cert_expired' | 'cert_untrusted' | null]> = [
  ['good', 'crl', 'SUCCESS', null],
  ['revoked', 'crl', 'FAILED:certificate revoked', 'cert_revoked'],
  ['expired', 'crl', 'FAILED:certificate has expired', 'cert_expired'],
  ['notyet', 'crl', 'FAILED:certificate is not yet valid', 'cert_expired'],
  ['untrusted', 'crl', 'FAILED:unable to verify the first certificate', 'cert_untrusted'],
  ['selfsigned', 'crl', 'FAILED:unable to get certificate CRL', 'cert_untrusted'],
  ['chain', 'crl', 'FAILED:unable to get certificate CRL', 'cert_untrusted'],
  ['intermediate', 'crl', 'FAILED:unable to get certificate CRL', 'cert_untrusted'],
  ['purpose', 'crl', 'FAILED:unsuitable certificate purpose', 'cert_untrusted'],
  ['forged', 'crl', 'FAILED:certificate signature failure', 'cert_untrusted'],
  ['selfsigned', 'no crl', 'FAILED:self-signed certificate', 'cert_untrusted'],
  ['chain', 'no crl', 'FAILED:self-signed certificate in certificate chain', 'cert_untrusted'],
  ['intermediate', 'no crl', 'FAILED:unable to get local issuer certificate', 'cert_untrusted'],
  ['expired', 'no crl', 'FAILED:certificate has expired', 'cert_expired'],
  // Without a CRL the gateway cannot know: it accepts the revoked certificate.
  ['revoked', 'no crl', 'SUCCESS', null],
];

describeNginx('real NGINX: exact certificate failure texts and their verdicts', () => {
  const seen = new Map<string, NormalizedEvent>();

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed: apt-get install -y nginx');
    for (const mode of ['crl', 'no crl'] as const) {
      const gw = await startNginxGateway(NGINX, { crl: mode === 'crl' });
      try {
        for (const [cert, m] of EXACT_TEXTS) {
          if (m !== mode) continue;
          const status = await gw.request(`/exact/${cert}`, cert, { Authorization: `Bearer ${FAKE_OPAQUE}` });
          expect(status, `${cert} (${mode})`).toBe(cert === 'good' || (cert === 'revoked' && mode === 'no crl') ? 200 : 400);
        }
        const { json } = await gw.stop();
        const { results } = await openParseStream(createReadStream(json), { format: 'nginx-json' });
        for await (const r of results) {
          if (r.result.kind !== 'event') throw new Error(`line ${r.lineNo}: ${JSON.stringify(r.result)}`);
          seen.set(`${mode} ${(r.result.event.url ?? '').replace(/^.*\/exact\//, '')}`, r.result.event);
        }
      } finally {
        gw.cleanup();
      }
    }
  }, 120_000);

  it.each(EXACT_TEXTS)('%s certificate (%s): NGINX logs %s → %s, with a bearer token too', async (cert, mode, verify, verdict) => {
    const ev = seen.get(`${mode} ${cert}`);
    expect(ev, 'logged').toBeDefined();
    expect(ev!.cert?.verify).toBe(verify);
    expect(certFailureOfVerify(ev!.cert?.verify)?.verdict ?? null).toBe(verdict);
    // The token is a plain bearer one: before issue #16 this reported bearer_unbound for every row.
    const d = await decideVerdict(ev!, { binding: 'bearer' });
    expect({ verdict: d.verdict, reason: d.reason }).toEqual(verdict ? { verdict, reason: verify.replace(/^FAILED:/, '') } : { verdict: 'bearer_unbound', reason: null });
  });
});
