// A real NGINX (Debian package `nginx`) as an mTLS gateway with a test CA and CRL, driven by
// real TLS clients; its JSON and combined logs must parse to the facts the test knows.
// Skips when nginx is not installed, unless CI=true (then it must run).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { NGINX_JSON_LOG_FORMAT } from './formats/nginx-json.ts';
import { findNginx } from '../testing/processes.ts';
import { openParseStream } from './parse-stream.ts';
import type { FormatName } from './types.ts';
import { certFailureOfVerify, decideVerdict } from '../binding/index.ts';
import { startNginxGateway, type CertFacts, type ClientCert, type NginxGateway } from '../services/ingest/testing/nginx-gateway.ts';


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
  let gateway: NginxGateway | null = null;
  let certFacts: Record<string, CertFacts> = {};
  const byCase = new Map<string, { json: NormalizedEvent; combined: NormalizedEvent; auth: NormalizedEvent }>();
  const parsed: Record<string, NormalizedEvent[]> = {};

  async function parseFile(file: string, format: FormatName): Promise<NormalizedEvent[]> {
    const { results } = await openParseStream(createReadStream(file), { format });
    const out: NormalizedEvent[] = [];
    for await (const r of results) {
      if (r.result.kind !== 'event') throw new Error(`${file} line ${r.lineNo}: ${JSON.stringify(r.result)}`);
      out.push(r.result.event);
    }
    return out;
  }

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed: apt-get install -y nginx');
    // The shared NGINX gateway (lib/services/ingest/testing/nginx-gateway.ts), logging besides its
    // own logs the documented JSON format exactly as the Ingest page gives it, and a minimal format
    // with the Authorization header.
    gateway = await startNginxGateway(NGINX, {
      extraLogs: [
        { name: 'holdfast_json', logFormat: NGINX_JSON_LOG_FORMAT },
        { name: 'with_auth', logFormat: `log_format with_auth escape=json '{"time":"$time_iso8601","uri":"$request_uri","status":$status,"ssl_client_verify":"$ssl_client_verify","http_authorization":"$http_authorization"}';` },
      ],
    });
    certFacts = gateway.certs;
    goodX5t = certFacts.good!.x5t;
    for (const c of CASES) {
      const status = await gateway.request(`/case/${c.name}`, c.cert, typeof c.headers === 'function' ? c.headers() : c.headers);
      expect(status, `${c.name} HTTP status seen by the client`).toBe(c.status);
    }
    // Graceful stop flushes and closes the logs.
    const logs = await gateway.stop();
    parsed.json = await parseFile(logs.extra.holdfast_json!, 'nginx-json');
    parsed.combined = await parseFile(logs.combined, 'nginx-combined');
    parsed.auth = await parseFile(logs.extra.with_auth!, 'nginx-json');
    const key = (e: NormalizedEvent) => (e.url ?? '').replace(/^https?:\/\/[^/]+/, '').replace('/case/', '');
    for (const c of CASES) {
      const json = parsed.json.find((e) => key(e) === c.name);
      const combined = parsed.combined.find((e) => key(e) === c.name);
      const auth = parsed.auth.find((e) => key(e) === c.name);
      if (json && combined && auth) byCase.set(c.name, { json, combined, auth });
    }
  }, 60_000);

  afterAll(() => gateway?.cleanup());

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
