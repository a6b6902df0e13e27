import { describe, expect, it } from 'vitest';
import { globMatch } from './glob.ts';
import { DEFAULT_POLICY } from './policy.ts';
import { classifyPrivilege } from './privilege.ts';
import { tokenBlastRadius } from './blast-radius.ts';

describe('globMatch', () => {
  const cases: [string, string, boolean][] = [
    ['*:write', 'orders:write', true],
    ['*:write', 'orders:writer', false],
    ['write:*', 'write:orders', true],
    ['admin', 'ADMIN', true],
    ['admin', 'admin:read', false],
    ['ci:*', 'ci:trigger', true],
    ['*partner*', 'https://api.partner-bank.example', true],
    ['a.b', 'axb', false],
    ['(x+)+$', '(x+)+$', true],
    ['\\*', '*', true],
    ['\\*', 'admin', false],
  ];
  it.each(cases)('pattern %s against %s → %s', (p, v, want) => {
    expect(globMatch(p, v)).toBe(want);
  });
});

describe('classifyPrivilege', () => {
  it('lists privileged_scope and cicd_audience for scope deploy to https://ci.example', () => {
    const c = classifyPrivilege({ scopes: ['deploy', 'read'], audience: ['https://ci.example'] }, { kind: 'pipeline' }, DEFAULT_POLICY);
    expect(c.reasons).toEqual(['privileged_scope', 'cicd_audience']);
    expect(c.privilegedScopes).toEqual(['deploy']);
  });

  it('marks an agent privileged with reason ai_agent only', () => {
    expect(classifyPrivilege({ scopes: ['read'], audience: [] }, { kind: 'agent' }, DEFAULT_POLICY).reasons).toEqual(['ai_agent']);
  });

  it('does not mark a service with scope read on an internal audience', () => {
    expect(classifyPrivilege({ scopes: ['read'], audience: ['https://orders.internal'] }, { kind: 'service' }, DEFAULT_POLICY).privileged).toBe(false);
  });
});

describe('tokenBlastRadius', () => {
  it('is scopeWeight × audiences × (1 + reasons): admin + read over 2 audiences → (3+1)×2×2 = 16', () => {
    const t = { scopes: ['admin', 'read'], audience: ['a', 'b'] };
    expect(tokenBlastRadius(t, classifyPrivilege(t, { kind: 'service' }, DEFAULT_POLICY))).toBe(16);
  });

  it('is 1 for a token with no scopes, no audience and no privilege', () => {
    const t = { scopes: [], audience: [] };
    expect(tokenBlastRadius(t, classifyPrivilege(t, { kind: 'service' }, DEFAULT_POLICY))).toBe(1);
  });
});
