// Caddy's JSON access log: lines shaped as the real caddy 2.6.2 wrote them (caddy-real.test.ts
// drives the real server), plus the variants other versions and options produce.
import { describe, expect, it } from 'vitest';
import * as S from './testing/samples.ts';
import { detectFormat } from './detect.ts';
import { caddyParser, decimalSerialToHex } from './formats/caddy.ts';
import { PARSERS } from './registry.ts';
import { createParseContext } from './types.ts';

const DER_B64 = S.CERT_PEM.replace(/-----[A-Z ]+-----|\s/g, '');

function line(over: { request?: Record<string, unknown>; top?: Record<string, unknown> } = {}): string {
  const request = {
    remote_ip: '127.0.0.1', remote_port: '40964', proto: 'HTTP/2.0', method: 'GET', host: 'api.test:18443', uri: '/x?y=1',
    headers: { 'User-Agent': ['curl/7.88.1'], Authorization: [], 'X-Request-Id': ['rid-1'] },
    tls: { resumed: false, version: 772, cipher_suite: 4865, proto: 'h2', server_name: 'api.test', client_common_name: 'svc-a', client_serial: '4097' },
    ...over.request,
  };
  return JSON.stringify({
    level: 'info', ts: 1796379208.4560375, logger: 'http.log.access.log0', msg: 'handled request', request,
    user_id: '', duration: 0.000437737, size: 645, status: 200, resp_headers: { Server: ['Caddy'] }, ...over.top,
  });
}

function parse(text: string) {
  const r = PARSERS.caddy.parseLine(text, createParseContext());
  if (r.kind !== 'event') throw new Error(JSON.stringify(r));
  return r.event;
}

describe('caddy: the access line as caddy 2.6.2 writes it', () => {
  it('reads time, request, status, client certificate (CN, decimal serial → hex) and the request id', () => {
    const e = parse(line());
    expect(e).toMatchObject({
      format: 'caddy', method: 'GET', url: 'https://api.test:18443/x?y=1', host: 'api.test:18443', gateway: 'api.test', clientIp: '127.0.0.1',
      httpStatus: 200, correlationId: 'rid-1', requestId: null, authScheme: null, hasDpop: false, identityHint: 'svc-a',
    });
    expect(e.occurredAt.toISOString()).toBe('2026-12-04T10:13:28.456Z');
    expect(e.cert).toEqual({ x5tS256: null, sha1Hex: null, subjectDn: 'CN=svc-a', issuerDn: null, serial: '1001', notBefore: null, notAfter: null, verify: null });
    expect(e.labels).toEqual({ authorization: 'redacted by caddy' });
    expect(e).not.toHaveProperty('forwardedCert');
  });

  it('TLS without a client certificate → verify NONE; plain HTTP → no TLS facts', () => {
    const noCert = parse(line({ request: { tls: { resumed: false, version: 772, proto: 'h2', server_name: 'api.test' } } }));
    expect(noCert.cert).toMatchObject({ verify: 'NONE', subjectDn: null, serial: null });
    const { tls: _tls, ...plain } = JSON.parse(line()).request as Record<string, unknown>;
    const http = parse(JSON.stringify({ ...JSON.parse(line()), request: plain }));
    expect(http.cert).toBeNull();
    expect(http.url).toBe('http://api.test:18443/x?y=1');
  });

  it('the certificate SHA-256 and request id the documented snippet echoes in resp_headers are read', () => {
    const e = parse(line({ top: { resp_headers: { 'X-Client-Cert-Sha256': [S.CERT_SHA256_HEX], 'X-Request-Id': ['edge-uuid-1'] } } }));
    expect(e.cert?.x5tS256).toBe(S.CERT_X5T);
    expect(e.correlationId).toBe('edge-uuid-1');
  });

  it.each([
    ['REDACTED (other Caddy versions)', ['REDACTED'], null, null],
    ['raw, with log_credentials: hashed, then dropped', [`Bearer ${S.SECRET_JWT}`], 'Bearer', 'svc-a'],
    ['raw DPoP scheme', [`DPoP ${S.SECRET_OPAQUE}`], 'DPoP', null],
  ])('Authorization %s', (_n, value, scheme, clientId) => {
    const e = parse(line({ request: { headers: { Authorization: value, Dpop: [S.SECRET_PROOF] } } }));
    expect(e.authScheme).toBe(scheme);
    expect(e.tokenClaims?.client_id ?? null).toBe(clientId);
    if (scheme) expect(e.tokenFingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(e.hasDpop).toBe(true);
    expect(e.dpopProof).toBe(S.SECRET_PROOF);
    const out = JSON.stringify({ ...e, dpopProof: null });
    for (const s of [S.SECRET_JWT, S.SECRET_OPAQUE, S.SECRET_PROOF]) expect(out).not.toContain(s);
  });

  it('behind a proxy (no TLS on this leg): a forwarded Client-Cert is the forwarded certificate; none → null', () => {
    const { tls: _tls, ...plain } = JSON.parse(line()).request as Record<string, unknown>;
    const base = JSON.parse(line());
    const withCert = parse(JSON.stringify({ ...base, request: { ...plain, headers: { 'Client-Cert': [`:${DER_B64}:`] } } }));
    expect(withCert.forwardedCert).toMatchObject({ x5tS256: S.CERT_X5T, header: 'client-cert', subjectDn: 'O=Test,CN=svc-a' });
    const without = parse(JSON.stringify({ ...base, request: { ...plain, headers: {} } }));
    expect(without.forwardedCert).toBeNull();
  });

  it('at a TLS edge a Client-Cert header came from the client: a label, never the forwarded certificate', () => {
    const e = parse(line({ request: { headers: { 'Client-Cert': [`:${DER_B64}:`] } } }));
    expect(e).not.toHaveProperty('forwardedCert');
    expect(e.labels).toEqual({ 'client_sent_cert_header.client-cert': S.CERT_X5T });
    expect(e.cert?.subjectDn).toBe('CN=svc-a');
  });
});

describe('caddy: other lines', () => {
  it.each([
    ['server start', '{"level":"info","ts":1796379245.82,"logger":"http.log","msg":"server running","name":"srv1","protocols":["h1","h2"]}'],
    ['error log line of a request', '{"level":"error","ts":1796379268.47,"logger":"http.log.error.log0","msg":"no such overload","request":{"remote_ip":"127.0.0.1"},"duration":0.0001}'],
    ['shutdown', '{"level":"warn","ts":1796379247.86,"msg":"exiting; byeee!! 👋","signal":"SIGTERM"}'],
    ['blank', '  '],
  ])('%s → skip', (_n, text) => {
    expect(caddyParser.parseLine(text, createParseContext()).kind).toBe('skip');
  });

  it.each([
    ['an NGINX line', S.NGINX_JSON_REAL, 'unrecognized_line'],
    ['access line without request', JSON.stringify({ level: 'info', ts: 1, logger: 'http.log.access', msg: 'handled request', status: 200 }), 'missing_field'],
    ['access line without ts', line({ top: { ts: undefined } }), 'missing_field'],
    ['headers that are not arrays of strings', line({ request: { headers: { Authorization: [{ x: 1 }] } } }), 'wrong_type'],
    ['not JSON', 'handled request', 'invalid_json'],
  ])('%s → %s', (_n, text, reason) => {
    expect(PARSERS.caddy.parseLine(text, createParseContext())).toMatchObject({ kind: 'error', reason });
  });

  it('is detected from its access lines', () => {
    expect(detectFormat([line(), line()])).toBe('caddy');
  });
});

describe('decimalSerialToHex', () => {
  // The 160-bit one is the fixture certificate's serial, converted with Python's int(…, 16).
  it.each([['4097', '1001'], ['0', '0'], ['259193074318934798261037627142397372435615240708', '2D669E9295DE474E5CBA623A320B31675CB8D204']])('%s → %s', (dec, hex) => {
    expect(decimalSerialToHex(dec)).toBe(hex);
  });
  it('refuses what is not a decimal serial', () => {
    expect(decimalSerialToHex('0x1001')).toBeNull();
    expect(decimalSerialToHex('9'.repeat(81))).toBeNull();
  });
});

describe('caddy: no secret leaves the parser', () => {
  // The line no-secrets.test.ts should list for caddy (that table is not this file's to edit).
  const LEAKY = JSON.stringify({
    level: 'info', ts: 1795334774.1, logger: 'http.log.access.log0', msg: 'handled request',
    request: {
      remote_ip: '10.0.0.7', method: 'GET', host: 'api.example', uri: `/x?access_token=${S.SECRET_OPAQUE}`,
      headers: { Authorization: [`Bearer ${S.SECRET_JWT}`], Dpop: [S.SECRET_PROOF], Cookie: [`s=${S.SECRET_OPAQUE}`], 'X-Debug': [S.PRIVATE_KEY_PEM] },
    },
    status: 200, resp_headers: { 'Set-Cookie': [`t=${S.SECRET_GH}`] },
  });

  it('raw Authorization (log_credentials), DPoP, cookies, a token in the query and a key in a header', () => {
    const e = parse(LEAKY);
    const out = JSON.stringify({ ...e, dpopProof: null });
    for (const s of [S.SECRET_JWT, S.SECRET_PROOF, S.SECRET_OPAQUE, S.SECRET_GH, S.SECRET_JWT.split('.')[2]!, S.SECRET_PROOF.split('.')[2]!]) expect(out).not.toContain(s);
    expect(out).not.toMatch(/PRIVATE KEY/);
    expect(e.tokenFingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
