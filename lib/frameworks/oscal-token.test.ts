import { describe, expect, it } from 'vitest';
import { isOscalToken, toOscalToken } from './oscal-token.ts';
import { listBuiltinFrameworks } from './registry.ts';

describe('toOscalToken', () => {
  it.each([
    ['NHI1:2025', 'nhi1-2025'],
    ['NHI10:2025', 'nhi10-2025'],
    ['PR.AA-01', 'pr.aa-01'],
    ['ASI03', 'asi03'],
    ['GOVERN', 'govern'],
    ['tenet-6', 'tenet-6'],
    ['1.2.3', 'c-1.2.3'],
    ['A / B', 'a-b'],
    [':::', 'c'],
  ])('%s → %s', (id, token) => {
    expect(toOscalToken(id)).toBe(token);
    expect(isOscalToken(toOscalToken(id))).toBe(true);
  });

  it('gives every built-in control a distinct valid token', () => {
    for (const f of listBuiltinFrameworks()) {
      const tokens = f.controls.map((c) => toOscalToken(c.id));
      expect(new Set(tokens).size).toBe(tokens.length);
      for (const t of tokens) expect(isOscalToken(t), t).toBe(true);
    }
  });
});
