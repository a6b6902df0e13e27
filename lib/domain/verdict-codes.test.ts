import { describe, expect, it } from 'vitest';
import { VERDICTS } from './types.ts';
import { VERDICT_CODES, verdictCode, verdictCodeListSql, verdictNameSql, verdictOfCode, verdictsWithoutCode } from './verdict-codes.ts';

describe('stored verdict codes', () => {
  it('gives every verdict of the vocabulary a code, and no two verdicts the same one', () => {
    expect(verdictsWithoutCode()).toEqual([]);
    const codes = Object.values(VERDICT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('keeps the codes already stored in databases (renumbering would change every stored verdict)', () => {
    expect(VERDICT_CODES).toMatchObject({ ok: 0, binding_mismatch: 1, proof_invalid: 2, bearer_unbound: 4, bound_not_enforced: 5, cert_revoked: 8, token_expired: 10 });
  });

  it('round-trips every verdict and refuses unknown ones', () => {
    for (const v of VERDICTS) expect(verdictOfCode(verdictCode(v))).toBe(v);
    expect(() => verdictCode('made_up')).toThrow(/no stored code/);
    expect(() => verdictOfCode(999)).toThrow(/no verdict/);
  });

  it('writes SQL for names and IN lists', () => {
    expect(verdictNameSql('r.v')).toContain(`WHEN 0 THEN 'ok'`);
    expect(verdictCodeListSql(['ok', 'cert_revoked'])).toBe('(0, 8)');
  });
});
