import { describe, expect, it } from 'vitest';
import { PRIVATE_KEY_PEM, SECRET_JWT, SECRET_OPAQUE, SECRET_PROOF } from './__fixtures__/samples.ts';
import { redact } from './redact.ts';

describe('redact', () => {
  it.each([
    ['JSON authorization', `{"http_authorization":"Bearer ${SECRET_OPAQUE}","status":200}`, `{"http_authorization":"[redacted]","status":200}`],
    ['JSON dpop header', `{"http_dpop":"${SECRET_PROOF}"}`, '{"http_dpop":"[redacted]"}'],
    ['JSON cookie array', '{"cookie":["a=1","b=2"]}', '{"cookie":["[redacted]"]}'],
    ['header style', `GET / Authorization: DPoP ${SECRET_OPAQUE}`, 'GET / Authorization: [redacted]'],
    ['Set-Cookie header', 'Set-Cookie: sid=abc; HttpOnly', 'Set-Cookie: [redacted]'],
    ['token= query param', `/cb?code=1&access_token=${SECRET_OPAQUE}&x=2`, '/cb?code=1&access_token=[redacted]&x=2'],
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
  ])('keeps %s', (_name, input) => {
    expect(redact(input)).toBe(input);
  });
});
