import { describe, expect, it } from 'vitest';
import { authFacts } from './auth-facts.ts';
import { verdictFromCertVerify, verdictFromOAuthError } from './event.ts';
import { parseTime } from './time.ts';

describe('parseTime', () => {
  it.each([
    ['2026-11-22T08:06:14+00:00', '2026-11-22T08:06:14.000Z'],
    ['2026-11-22T09:06:14+0100', '2026-11-22T08:06:14.000Z'],
    ['2026-11-22T08:06:14.123456Z', '2026-11-22T08:06:14.123Z'],
    ['2026-11-22 08:06:14,123', '2026-11-22T08:06:14.123Z'],
    ['22/Nov/2026:08:06:14 +0000', '2026-11-22T08:06:14.000Z'],
    ['22/Nov/2026:03:06:14 -0500', '2026-11-22T08:06:14.000Z'],
    ['Nov 22 08:06:14 2026 GMT', '2026-11-22T08:06:14.000Z'],
    ['Nov  2 08:06:14 2026 GMT', '2026-11-02T08:06:14.000Z'],
    ['1795334774', '2026-11-22T08:06:14.000Z'],
    ['1795334774.5', '2026-11-22T08:06:14.500Z'],
    [1795334774123, '2026-11-22T08:06:14.123Z'],
  ])('reads %j', (input, iso) => {
    expect(parseTime(input)?.toISOString()).toBe(iso);
  });

  it.each([[''], ['-'], ['yesterday'], ['2026-13-45T99:00:00Z'], ['32/Foo/2026:00:00:00 +0000'], [-1], [Number.NaN], [{}], [null]])('gives null for %j', (input) => {
    expect(parseTime(input)).toBeNull();
  });
});

describe('authFacts', () => {
  it.each([
    ['Bearer abc.def', 'Bearer', true],
    ['DPoP xyz', 'DPoP', true],
    ['Bearer', 'Bearer', false],
    ['REDACTED', null, false],
    ['Bearer [redacted]', 'Bearer', false],
  ])('%s → scheme %s, fingerprint %s', (h, scheme, fp) => {
    const a = authFacts(h);
    expect(a.authScheme).toBe(scheme);
    expect(a.tokenFingerprint !== null).toBe(fp);
  });
});

describe('source verdicts', () => {
  it.each([
    ['FAILED:certificate revoked', 'cert_revoked'],
    ['FAILED:certificate has expired', 'cert_expired'],
    ['FAILED:certificate is not yet valid', 'cert_expired'],
    ['FAILED:unable to verify the first certificate', 'cert_untrusted'],
    ['SUCCESS', null],
  ])('verify %s → %s', (v, verdict) => {
    expect(verdictFromCertVerify(v)?.verdict ?? null).toBe(verdict);
  });

  it.each([
    ['invalid_dpop_proof', 'DPoP proof is missing', 'no_proof_for_bound_token', null],
    ['invalid_dpop_proof', 'DPoP proof has already been used', 'proof_invalid', 'jti_replay'],
    ['use_dpop_nonce', 'Authorization server requires nonce', 'proof_invalid', 'nonce'],
    ['not_allowed', 'Client certificate missing, or its thumbprint and one in the refresh token did NOT match', 'binding_mismatch', 'x5t_mismatch'],
    ['invalid_token', 'Token is not active', 'token_expired', null],
    ['invalid_client', 'Invalid client credentials', null, null],
  ])('%s / %s → %s (%s)', (e, r, verdict, reason) => {
    const v = verdictFromOAuthError(e, r);
    expect(v?.verdict ?? null).toBe(verdict);
    if (v) expect(v.reason).toBe(reason);
  });
});
