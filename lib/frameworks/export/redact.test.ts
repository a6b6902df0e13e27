import { describe, expect, it } from 'vitest';
import { looksLikeRawToken, redactSecrets } from './redact.ts';
import { RAW_JWT } from './testing/export-rows.ts';

describe('redactSecrets', () => {
  it.each([
    [`token ${RAW_JWT} seen`, 'token [redacted] seen'],
    ['Authorization: Bearer abcdefghijklmnop0123456789', 'Authorization: [redacted]'],
    ['DPoP Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU', '[redacted]'],
    ['found ghp_0123456789abcdefghijABCDEFGHIJ in repo', 'found [redacted] in repo'],
    ['key AKIAABCDEFGHIJKLMNOP', 'key [redacted]'],
    ['-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----', '[redacted]'],
  ])('masks %j', (input, out) => {
    expect(redactSecrets(input)).toBe(out);
    expect(looksLikeRawToken(redactSecrets(input))).toBe(false);
  });

  it('leaves fingerprints, ids and prose alone', () => {
    const s = 'fingerprint fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo on PR.AA-01 (Bearer token unbound)';
    expect(redactSecrets(s)).toBe(s);
    expect(looksLikeRawToken(s)).toBe(false);
  });
});
