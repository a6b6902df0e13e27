import { describe, expect, it } from 'vitest';
import { VERDICTS, type Verdict } from './types.ts';
import { VERDICTS_BY_SEVERITY, worseVerdict } from './verdict-severity.ts';

describe('verdict severity', () => {
  it('ranks every verdict of the vocabulary exactly once', () => {
    expect([...VERDICTS_BY_SEVERITY].sort()).toEqual([...VERDICTS].sort());
  });

  it.each<[Verdict | null, Verdict | null, Verdict | null]>([
    ['ok', 'cert_untrusted', 'cert_untrusted'],
    ['cert_revoked_unchecked', 'ok', 'cert_revoked_unchecked'],
    ['bearer_unbound', 'cert_untrusted', 'cert_untrusted'],
    ['cert_untrusted', 'binding_mismatch', 'binding_mismatch'],
    ['cert_untrusted', 'bound_not_enforced', 'bound_not_enforced'],
    ['cert_expired', 'spoofed_client_cert', 'spoofed_client_cert'],
    ['binding_context_stripped', 'cert_expired', 'cert_expired'],
    ['no_proof_for_bound_token', 'binding_context_stripped', 'binding_context_stripped'],
    [null, 'ok', 'ok'],
    ['ok', null, 'ok'],
    [null, null, null],
  ])('worse of %s and %s is %s', (a, b, want) => {
    expect(worseVerdict(a, b)).toBe(want);
    expect(worseVerdict(b, a)).toBe(want);
  });
});
