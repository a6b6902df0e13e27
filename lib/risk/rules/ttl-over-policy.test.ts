import { describe, expect, it } from 'vitest';
import { at, brief, DAY, HOUR, identity, runRule, snapshot, token } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { tokenLifetimeSeconds, ttlOverPolicy } from './ttl-over-policy.ts';

const agent = identity({ id: 'id-agent', name: 'support-agent', kind: 'agent' });
const key = 'ttl_over_policy:token:tok-1';

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags an agent access token living 2 h (policy 1 h, medium)',
    snap: snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent', ttlSeconds: 7200 })] }),
    expected: [{ dedupeKey: key, severity: 'medium' }],
  },
  {
    name: 'does not flag an agent access token living exactly 1 h',
    snap: snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent', ttlSeconds: 3600 })] }),
    expected: [],
  },
  {
    name: 'flags a service access token living 25 h (policy 24 h, medium)',
    snap: snapshot({ tokens: [token({ ttlSeconds: 25 * 3600, expiresAt: at(24 * HOUR) })] }),
    expected: [{ dedupeKey: key, severity: 'medium' }],
  },
  {
    name: 'does not flag a service access token living 2 h',
    snap: snapshot({ tokens: [token({ ttlSeconds: 7200 })] }),
    expected: [],
  },
  {
    name: 'flags a token with no expiry as high (over the 90-day ceiling)',
    snap: snapshot({ tokens: [token({ ttlSeconds: null, expiresAt: null })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags a refresh token living 180 days as high (over the absolute ceiling)',
    snap: snapshot({ tokens: [token({ tokenType: 'refresh', ttlSeconds: null, issuedAt: at(-DAY), expiresAt: at(179 * DAY) })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'does not flag a refresh token living 30 days (only the ceiling applies to refresh tokens)',
    snap: snapshot({ tokens: [token({ tokenType: 'refresh', ttlSeconds: 30 * 86_400, expiresAt: at(29 * DAY) })] }),
    expected: [],
  },
  {
    name: 'does not flag a long-lived token that was revoked',
    snap: snapshot({ tokens: [token({ ttlSeconds: null, expiresAt: null, status: 'revoked', revokedAt: at(-HOUR) })] }),
    expected: [],
  },
];

describe('ttl_over_policy', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(ttlOverPolicy, snap).map(brief)).toEqual(expected);
  });

  it('computes the lifetime from exp − iat when ttlSeconds is missing', () => {
    expect(tokenLifetimeSeconds(token({ ttlSeconds: null, issuedAt: at(-HOUR), expiresAt: at(HOUR) }))).toBe(7200);
  });

  it('says the token lives "2 hours" and the agent limit is "1 hour"', () => {
    const [d] = runRule(ttlOverPolicy, snapshot({ identities: [agent], tokens: [token({ identityId: 'id-agent', ttlSeconds: 7200 })] }));
    expect(d?.explanation).toContain('2 hours');
    expect(d?.explanation).toContain('1 hour for agent tokens');
  });
});
