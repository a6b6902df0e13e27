import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, identity, runRule, snapshot, token, usage } from '../testing/facts.ts';
import { PolicySchema } from '../policy.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { unboundHighRisk } from './unbound-high-risk.ts';

const agent = identity({ id: 'id-agent', name: 'support-agent', kind: 'agent', transport: 'public' });
const key = (id = 'tok-1') => `unbound_high_risk:token:${id}`;

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags a bearer token with scope admin:write held by a service (high)',
    snap: snapshot({ tokens: [token({ scopes: ['admin:write'] })] }),
    expected: [{ dedupeKey: key(), severity: 'high' }],
  },
  {
    name: 'flags a bearer token with scope repo (GitHub-style write access)',
    snap: snapshot({ tokens: [token({ scopes: ['repo'] })] }),
    expected: [{ dedupeKey: key(), severity: 'high' }],
  },
  {
    name: 'flags a bearer token with scope ci:trigger',
    snap: snapshot({ tokens: [token({ scopes: ['ci:trigger'] })] }),
    expected: [{ dedupeKey: key(), severity: 'high' }],
  },
  {
    name: 'flags a bearer token with only read scopes but a partner audience',
    snap: snapshot({ tokens: [token({ audience: ['https://api.partner-bank.example'] })] }),
    expected: [{ dedupeKey: key(), severity: 'high' }],
  },
  {
    name: 'flags a bearer token whose events reached an admin API even though its aud claim does not say so',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ audiencesSeen: ['admin.internal'] })] }),
    expected: [{ dedupeKey: key(), severity: 'high' }],
  },
  {
    name: 'flags a read-only bearer token held by an AI agent',
    snap: snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent' })] }),
    expected: [{ dedupeKey: key(), severity: 'high' }],
  },
  {
    name: 'flags an AI agent bearer token with scope deploy as critical (two reasons)',
    snap: snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent', scopes: ['deploy'] })] }),
    expected: [{ dedupeKey: key(), severity: 'critical' }],
  },
  {
    name: 'does not flag the same admin:write token when DPoP-bound',
    snap: snapshot({ tokens: [token({ scopes: ['admin:write'], binding: 'dpop', cnfJkt: 'jkt-1' })] }),
    expected: [],
  },
  {
    name: 'does not flag the same admin:write token when mTLS-bound',
    snap: snapshot({ tokens: [token({ scopes: ['admin:write'], binding: 'mtls', cnfX5tS256: 'x5t-A' })] }),
    expected: [],
  },
  {
    name: 'does not flag a bearer token with only orders:read for an internal audience',
    snap: snapshot({ tokens: [token()] }),
    expected: [],
  },
  {
    name: 'does not flag a privileged bearer token that expired',
    snap: snapshot({ tokens: [token({ scopes: ['admin'], expiresAt: at(-HOUR) })] }),
    expected: [],
  },
  {
    name: 'does not flag a privileged bearer token that was revoked',
    snap: snapshot({ tokens: [token({ scopes: ['admin'], status: 'revoked', revokedAt: at(-HOUR) })] }),
    expected: [],
  },
  {
    name: 'does not treat scope "administrator-view" as admin (patterns match whole scopes)',
    snap: snapshot({ tokens: [token({ scopes: ['administrator-view'] })] }),
    expected: [],
  },
];

describe('unbound_high_risk', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(unboundHighRisk, snap).map(brief)).toEqual(expected);
  });

  it('explains the reasons and the scopes in words', () => {
    const [d] = runRule(unboundHighRisk, snapshot({ tokens: [token({ scopes: ['admin:write', 'orders:read'] })] }));
    expect(d?.explanation).toContain('privileged scopes');
    expect(d?.explanation).toContain('admin:write');
    expect(d?.evidence.privilegedScopes).toEqual(['admin:write']);
  });

  it('recommends DPoP for the agent and mTLS for the mesh service, with the reason', () => {
    const [agentDraft] = runRule(unboundHighRisk, snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent' })] }));
    expect(agentDraft?.evidence.recommendedBinding).toBe('dpop');
    expect(agentDraft?.recommendation).toMatch(/^Issue this identity's tokens sender-constrained with DPoP \(RFC 9449\): AI agents/);
    const [svcDraft] = runRule(unboundHighRisk, snapshot({ tokens: [token({ scopes: ['admin'] })] }));
    expect(svcDraft?.evidence.recommendationReason).toBe('service_mesh');
    expect(svcDraft?.recommendation).toContain('mTLS (RFC 8705)');
  });

  it('does not flag an agent token when the policy turns agentsAlwaysHighRisk off', () => {
    const policy = PolicySchema.parse({ privileged: { agentsAlwaysHighRisk: false } });
    expect(runRule(unboundHighRisk, snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent' })] }), policy)).toEqual([]);
  });
});
