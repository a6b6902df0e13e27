// nginx-json lines of a backend hop: the certificate a proxy forwarded and the propagated request id.
import { describe, expect, it } from 'vitest';
import { CERT_ESCAPED, CERT_PEM, CERT_SHA256_HEX, CERT_X5T } from './testing/samples.ts';
import { nginxJsonParser } from './formats/nginx-json.ts';
import { createParseContext } from './types.ts';

const DER_B64 = CERT_PEM.replace(/-----[A-Z ]+-----|\s/g, '');
const base = { time: '2026-11-22T08:06:14+00:00', request_id: 'backend-own-id', uri: '/api', status: 200, ssl_client_verify: '' };

function parse(fields: Record<string, unknown>) {
  const r = nginxJsonParser.parseLine(JSON.stringify({ ...base, ...fields }), createParseContext());
  if (r.kind !== 'event') throw new Error(JSON.stringify(r));
  return r.event;
}

describe('nginx-json: forwarded certificate of a backend line', () => {
  it.each([
    ['http_client_cert (RFC 9440)', 'http_client_cert', `:${DER_B64}:`, 'client-cert'],
    ['http_x_forwarded_client_cert (Envoy XFCC)', 'http_x_forwarded_client_cert', `By=spiffe://edge;Hash=${CERT_SHA256_HEX};Cert="${CERT_ESCAPED}"`, 'x-forwarded-client-cert'],
    ['http_x_ssl_client_cert (NGINX $ssl_client_escaped_cert)', 'http_x_ssl_client_cert', CERT_ESCAPED, 'x-ssl-client-cert'],
    ['http_x_amzn_mtls_clientcert (AWS ALB)', 'http_x_amzn_mtls_clientcert', CERT_ESCAPED, 'x-amzn-mtls-clientcert'],
  ])('%s → forwardedCert with x5t#S256 and the header it came in', (_n, key, value, header) => {
    const e = parse({ [key]: value });
    expect(e.forwardedCert).toMatchObject({ x5tS256: CERT_X5T, subjectDn: 'O=Test,CN=svc-a', verify: null, header });
    // The backend's own TLS facts stay its own: plain HTTP from the proxy logs none.
    expect(e.cert).toBeNull();
    expect(e.identityHint).toBe('O=Test,CN=svc-a');
  });

  it('forwarded fields logged empty → forwardedCert null (nothing was forwarded)', () => {
    const e = parse({ http_client_cert: '', http_x_forwarded_client_cert: '', http_client_cert_chain: '' });
    expect(e.forwardedCert).toBeNull();
  });

  it('a format without forwarded fields leaves forwardedCert undefined (an absent field says nothing)', () => {
    expect(parse({})).not.toHaveProperty('forwardedCert');
  });

  it('Client-Cert is believed before the other headers when several are present', () => {
    const e = parse({ http_client_cert: `:${DER_B64}:`, http_x_ssl_client_cert: CERT_ESCAPED });
    expect(e.forwardedCert?.header).toBe('client-cert');
  });

  it('a malformed forwarded value is not a certificate: named in the labels, forwardedCert null', () => {
    const e = parse({ http_client_cert: ':bm90IGEgY2VydA==:' });
    expect(e.forwardedCert).toBeNull();
    expect(e.labels).toEqual({ 'forwarded_cert_error.client-cert': 'malformed: the bytes are not an X.509 certificate' });
  });

  it('a malformed chain is named in the labels and does not hide a good Client-Cert', () => {
    const e = parse({ http_client_cert: `:${DER_B64}:`, http_client_cert_chain: ':abc' });
    expect(e.forwardedCert?.x5tS256).toBe(CERT_X5T);
    expect(e.labels?.['forwarded_cert_error.client-cert-chain']).toMatch(/^malformed/);
  });
});

describe('nginx-json: correlation id', () => {
  it.each([
    ['correlation_id (the documented map)', { correlation_id: 'abc-1' }, 'abc-1'],
    ['http_x_request_id', { http_x_request_id: 'abc-2' }, 'abc-2'],
    ['correlation_id wins over http_x_request_id', { correlation_id: 'abc-3', http_x_request_id: 'other' }, 'abc-3'],
    ["neither: null, not NGINX's own per-hop $request_id", {}, null],
  ])('%s', (_n, fields, id) => {
    const e = parse(fields);
    expect(e.correlationId ?? null).toBe(id);
    expect(e.requestId).toBe('backend-own-id');
  });
});

describe('nginx-json: evidence computed at the gateway (NGINX_NJS_MODULE), no token logged', () => {
  it('ssl_client_x5t, token_sha256 and the token claims become the event facts', () => {
    const e = parse({
      ssl_client_verify: 'SUCCESS', ssl_client_x5t: CERT_X5T, token_sha256: 'tok-fp', token_client_id: 'svc-a', token_sub: 'svc-a',
      token_exp: '1800000000', cnf_jkt: '', cnf_x5t: CERT_X5T, authz_scheme: 'Bearer',
    });
    expect(e.cert?.x5tS256).toBe(CERT_X5T);
    expect(e.tokenFingerprint).toBe('tok-fp');
    expect(e.tokenClaims).toEqual({ client_id: 'svc-a', sub: 'svc-a', exp: 1800000000, cnf: { 'x5t#S256': CERT_X5T } });
    expect(e.identityHint).toBe('svc-a');
  });

  it('no claims logged (all empty) → no claims', () => {
    expect(parse({ token_client_id: '', token_sub: '', token_exp: '', cnf_jkt: '', cnf_x5t: '' }).tokenClaims).toBeNull();
  });

  it('a DPoP-bound token: cnf.jkt only', () => {
    expect(parse({ cnf_jkt: 'JKT-1' }).tokenClaims).toEqual({ cnf: { jkt: 'JKT-1' } });
  });

  it.each([['hex', CERT_SHA256_HEX], ['padded base64', `${CERT_X5T}=`], ['too short', 'abc']])('ssl_client_x5t that is %s → the line is refused (invalid_value)', (_n, v) => {
    const r = nginxJsonParser.parseLine(JSON.stringify({ ...base, ssl_client_x5t: v }), createParseContext());
    expect(r).toMatchObject({ kind: 'error', reason: 'invalid_value' });
  });
});
