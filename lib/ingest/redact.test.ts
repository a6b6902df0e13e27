import { describe, expect, it } from 'vitest';
import { PRIVATE_KEY_PEM, SECRET_JWT, SECRET_OPAQUE, SECRET_PROOF } from './testing/samples.ts';
import { redact, redactJsonLine, redactName } from './redact.ts';

describe('redact', () => {
  it.each([
    ['JSON authorization', `{"http_authorization":"Bearer ${SECRET_OPAQUE}","status":200}`, `{"http_authorization":"[redacted]","status":200}`],
    ['JSON dpop header', `{"http_dpop":"${SECRET_PROOF}"}`, '{"http_dpop":"[redacted]"}'],
    ['JSON cookie array', '{"cookie":["a=1","b=2"]}', '{"cookie":["[redacted]"]}'],
    ['header style', `GET / Authorization: DPoP ${SECRET_OPAQUE}`, 'GET / Authorization: [redacted]'],
    ['Set-Cookie header', 'Set-Cookie: sid=abc; HttpOnly', 'Set-Cookie: [redacted]'],
    ['token= query param', `/cb?code=1&access_token=${SECRET_OPAQUE}&x=2`, '/cb?code=[redacted]&access_token=[redacted]&x=2'],
    ['bare token= param', `token=${SECRET_OPAQUE}`, 'token=[redacted]'],
    ['client_secret param', 'grant_type=client_credentials&client_secret=s3cr3t', 'grant_type=client_credentials&client_secret=[redacted]'],
    ['JWT anywhere', `user said ${SECRET_JWT} here`, 'user said [redacted] here'],
    ['Bearer in free text', `reason=Bearer ${SECRET_OPAQUE} rejected`, 'reason=Bearer [redacted] rejected'],
    ['PEM private key, JSON-escaped', `{"k":"${PRIVATE_KEY_PEM.replace(/\n/g, '\\n')}"}`, '{"k":"[redacted]"}'],
    ['PEM private key, URL-encoded', `x=${encodeURIComponent(PRIVATE_KEY_PEM)}`, 'x=[redacted]'],
    ['truncated PEM private key', 'k=-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE', 'k=[redacted]'],
  ])('redacts %s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['flags and schemes', '{"authz_scheme":"Bearer","has_dpop":"1","token_type":"DPoP","token_fingerprint":"abc"}'],
    ['a plain access log line', '10.0.0.1 - - [22/Nov/2026:08:00:00 +0000] "GET /health HTTP/1.1" 200 2 "-" "curl/8"'],
    ['a certificate (public)', '{"ssl_client_escaped_cert":"-----BEGIN%20CERTIFICATE-----%0AMIIB%0A-----END%20CERTIFICATE-----%0A"}'],
    ['prose mentioning DPoP', 'reason="DPoP proof is missing"'],
    ['token ids (a jti is not a secret)', 'type="REFRESH_TOKEN", token_id="3f1c", refresh_token_id="9a2b", refresh_token_type="Refresh"'],
  ])('keeps %s', (_name, input) => {
    expect(redact(input)).toBe(input);
  });
});

describe('redactJsonLine (the fast path for parsed JSON lines)', () => {
  it.each([
    ['a sensitive member', { time: 't', http_authorization: `Bearer ${SECRET_OPAQUE}`, has_dpop: '1' }],
    ['a nested header', { request: { headers: { cookie: SECRET_OPAQUE, dpop: SECRET_PROOF } } }],
    ['an array-valued cookie', { headers: { cookie: [SECRET_OPAQUE, 'b'] } }],
    ['a name/value header object', { http_headers: [{ name: 'Cookie', value: SECRET_OPAQUE }] }],
    ['a name/value header object in an escaped line', { note: 'a\\b', http_headers: [{ name: 'Authorization', value: SECRET_OPAQUE }] }],
    ['a JWT in an innocent member', { note: `see ${SECRET_JWT}` }],
    ['a token in a URL', { uri: `/x?access_token=${SECRET_OPAQUE}` }],
    ['a private key in any member', { k: PRIVATE_KEY_PEM }],
    ['spaces around the colon', null],
  ])('leaves no secret for %s, like redact()', (_name, obj) => {
    const text = obj ? JSON.stringify(obj) : `{"authorization" :  "Bearer ${SECRET_OPAQUE}", "x": 1}`;
    const out = redactJsonLine(text, JSON.parse(text));
    for (const s of [SECRET_OPAQUE, SECRET_JWT, SECRET_PROOF, 'PRIVATE KEY']) expect(out).not.toContain(s);
    expect(out).toContain('[redacted]');
  });

  it('returns a clean line unchanged', () => {
    const text = '{"time":"2026-11-22T08:00:00+00:00","status":200,"authz_scheme":"Bearer","has_dpop":"0","http_dpop":""}';
    expect(redactJsonLine(text, JSON.parse(text))).toBe(text);
  });

  it('finds a credential hidden behind JSON escapes in an innocent member', () => {
    const text = `{"note":"Bearer\\u0020${SECRET_OPAQUE}","k":"eyJ\\u0061bc.def.ghi"}`;
    const out = redactJsonLine(text, JSON.parse(text));
    expect(out).not.toContain(SECRET_OPAQUE);
    expect(JSON.parse(out)).toEqual({ note: 'Bearer [redacted]', k: '[redacted]' });
  });

  it('falls back to the generic path when a key is written with escapes', () => {
    const text = `{"\\u0061uthorization":"${SECRET_OPAQUE}"}`;
    expect(redactJsonLine(text, JSON.parse(text))).not.toContain(SECRET_OPAQUE);
  });
});

// JWTs whose header is not spelled `{"` (so not `eyJ…`), and credentials in query parameters
// with generic names (issue #14, item 9).
const b64u = (s: string) => Buffer.from(s).toString('base64url');
const LOOSE_JWT_SPACE = `${b64u('{ "alg": "ES256", "typ": "at+jwt" }')}.${b64u('{"sub":"svc-a","jti":"j-1"}')}.c2lnbmF0dXJlLW5vdC1yZWFs`;
const LOOSE_JWT_NEWLINE = `${b64u('{\n  "alg": "RS256"\n}')}.${b64u('{"sub":"svc-b"}')}.c2lnbmF0dXJl`;
const LOOSE_JWE = `${b64u('{ "alg": "dir", "enc": "A256GCM" }')}..aXYtaXYtaXY.Y2lwaGVydGV4dA.dGFnLXRhZw`;

describe('redact: JWTs by decoded header, credential query parameters', () => {
  it.each([
    ['a JWT with a spaced header in a URL path', `/v1/magic/${LOOSE_JWT_SPACE}/confirm`, '/v1/magic/[redacted]/confirm'],
    ['a JWT with a pretty-printed header at the end of a path', `GET /cb/${LOOSE_JWT_NEWLINE} HTTP/1.1`, 'GET /cb/[redacted] HTTP/1.1'],
    ['a five-part JWE with a spaced header', `/x/${LOOSE_JWE}`, '/x/[redacted]'],
    // Dots that start no JWT come first (the host's): the pre-check must look past them.
    ['a spaced-header JWT in a URL after a dotted host', `https://api.example.com/v1/${LOOSE_JWT_SPACE}`, 'https://api.example.com/v1/[redacted]'],
    ['a spaced-header JWT that is the whole value', LOOSE_JWT_SPACE, '[redacted]'],
    ['an OAuth authorization code', '/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj', '/callback?code=[redacted]&state=af0ifjsldkj'],
    ['an S3 pre-signed URL signature', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024', '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=[redacted]'],
    ['a GCS signed URL signature', '/o?X-Goog-Date=20261122&x-goog-signature=2a5b9f&X-Goog-Expires=900', '/o?X-Goog-Date=20261122&x-goog-signature=[redacted]&X-Goog-Expires=900'],
    ['an Azure SAS sig', '/c/b?sv=2024-11-04&se=2026-12-01&sig=Zm9vYmFy%3D', '/c/b?sv=2024-11-04&se=2026-12-01&sig=[redacted]'],
    ['a signature parameter', '/hook?signature=abc123#frag', '/hook?signature=[redacted]#frag'],
    ['access_token, id_token and refresh_token', '/cb?access_token=a1b2&id_token=c3d4&refresh_token=e5f6', '/cb?access_token=[redacted]&id_token=[redacted]&refresh_token=[redacted]'],
    ['client_secret', '/token?client_id=svc&client_secret=s3cr3t', '/token?client_id=svc&client_secret=[redacted]'],
  ])('redacts %s', (_name, input, expected) => {
    expect(redact(input)).toBe(expected);
  });

  it.each([
    ['a status_code query parameter', '/x?status_code=200&error_code=7'],
    ['logfmt code= outside a URL', 'level=warn code=401 msg="denied"'],
    ['a long hostname', 'upstream=subdomain-long.example.com.au'],
    ['a dotted id whose first part is not base64url JSON', 'trace=0123456789abcdef.0123456789.01'],
    ['three base64url parts whose first decodes to JSON without alg (not a JOSE header)', `${b64u('{ "kid": "k-1" }')}.${b64u('{"a":1}')}.c2ln`],
    ['an IPv4 address and a version', 'peer=10.20.30.40 v=1.22.1'],
  ])('keeps %s', (_name, input) => {
    expect(redact(input)).toBe(input);
  });

  it.each([
    ['a spaced-header JWT in a URL member', { uri: `/v1/magic/${LOOSE_JWT_SPACE}`, host: 'api.example.com' }, { uri: '/v1/magic/[redacted]', host: 'api.example.com' }],
    ['a code in a URL member', { uri: '/callback?code=SplxlOBeZQQYbYS6WxSbIA', status: 302 }, { uri: '/callback?code=[redacted]', status: 302 }],
    ['a pre-signed URL in a URL member', { request: { url: 'https://s3/b/k?X-Amz-Signature=fe5f80f7' } }, { request: { url: 'https://s3/b/k?X-Amz-Signature=[redacted]' } }],
  ])('redactJsonLine redacts %s', (_name, obj, expected) => {
    const text = JSON.stringify(obj);
    expect(JSON.parse(redactJsonLine(text, JSON.parse(text)))).toEqual(expected);
  });
});

describe('redactName (redact, remembered per name)', () => {
  it("gives each name redact()'s result every time it comes back, never another name's", () => {
    const names = [`CN=${SECRET_JWT},O=Bench`, 'CN=svc-1,O=Bench', `CN=svc-2 token=${SECRET_OPAQUE}`, `spiffe://bench/${LOOSE_JWT_SPACE}`];
    for (let round = 0; round < 3; round++) {
      for (const name of names) expect(redactName(name)).toBe(redact(name));
    }
    expect(redactName(`CN=${SECRET_JWT},O=Bench`)).toBe('CN=[redacted],O=Bench');
    expect(redactName('CN=svc-1,O=Bench')).toBe('CN=svc-1,O=Bench');
  });

  it('redacts a long name too (not remembered)', () => {
    const long = `CN=${'x'.repeat(300)} ${SECRET_JWT}`;
    expect(redactName(long)).toBe(redact(long));
    expect(redactName(long)).not.toContain(SECRET_JWT);
  });
});
