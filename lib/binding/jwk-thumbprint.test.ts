import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { BindingError } from './errors.ts';
import { computeJwkThumbprint, jwkThumbprintInput, thumbprintJwk } from './jwk-thumbprint.ts';

const RFC7638_RSA_N =
  '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof BindingError ? e.code : 'not-a-BindingError';
  }
}

describe('RFC 7638 JWK thumbprint', () => {
  it('reproduces the RFC 9449 example key jkt 0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I', () => {
    const json = '{"kty":"EC","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA","crv":"P-256"}';
    expect(thumbprintJwk(json)).toEqual({ jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' });
  });

  it('reproduces the RFC 7638 §3.1 RSA vector NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs, ignoring kid/alg', () => {
    const jwk = { kty: 'RSA', n: RFC7638_RSA_N, e: 'AQAB', alg: 'RS256', kid: '2011-04-29' };
    expect(computeJwkThumbprint(jwk)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
    expect(jwkThumbprintInput(jwk).startsWith('{"e":"AQAB","kty":"RSA","n":"0vx7')).toBe(true);
  });

  it.each(['ES256', 'ES384', 'ES512', 'RS256', 'PS256', 'EdDSA'] as const)('matches jose for a generated %s key', async (alg) => {
    const { publicKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(publicKey);
    expect(computeJwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
  });

  it('hashes only k and kty for an oct key (RFC 7638 §3.2)', async () => {
    const jwk = { kty: 'oct', k: 'GawgguFyGrWKav7AX4VKUg', alg: 'HS256' };
    expect(jwkThumbprintInput(jwk)).toBe('{"k":"GawgguFyGrWKav7AX4VKUg","kty":"oct"}');
    expect(computeJwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk));
  });

  it.each([
    ['not JSON', 'json_invalid', '{'],
    ['an array', 'jwk_invalid', '[]'],
    ['no kty', 'jwk_invalid', '{"x":"AA"}'],
    ['unknown kty', 'jwk_unsupported_kty', '{"kty":"XYZ"}'],
    ['EC without y', 'jwk_invalid', '{"kty":"EC","crv":"P-256","x":"AA"}'],
    ['RSA with numeric e', 'jwk_invalid', '{"kty":"RSA","n":"AA","e":65537}'],
    ['EC x non-canonical base64url', 'jwk_invalid', '{"kty":"EC","crv":"P-256","x":"AB","y":"AA"}'],
  ])('rejects %s with %s', (_name, code, json) => {
    expect(codeOf(() => thumbprintJwk(json))).toBe(code);
  });
});
