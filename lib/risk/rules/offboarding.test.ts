import { describe, expect, it } from 'vitest';
import { at, brief, certificate, DAY, HOUR, identity, runRule, snapshot, token } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { offboarding } from './offboarding.ts';

const decom = identity({ status: 'decommissioned', decommissionedAt: at(-DAY) });
const departed = identity({ ownerStatus: 'departed', owner: 'alice@example.com' });
const key = 'offboarding:identity:id-svc';

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags a decommissioned NHI that still holds an active token (high)',
    snap: snapshot({ identities: [decom], tokens: [token()] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags a decommissioned NHI with a live privileged bearer token as critical',
    snap: snapshot({ identities: [decom], tokens: [token({ scopes: ['admin'] })] }),
    expected: [{ dedupeKey: key, severity: 'critical' }],
  },
  {
    name: 'flags a decommissioned NHI whose only remaining credential is a valid certificate',
    snap: snapshot({ identities: [decom], certificates: [certificate()] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags an NHI whose owner departed while its token is active (medium)',
    snap: snapshot({ identities: [departed], tokens: [token()] }),
    expected: [{ dedupeKey: key, severity: 'medium' }],
  },
  {
    name: 'does not flag a decommissioned NHI whose tokens are revoked and certificate expired',
    snap: snapshot({
      identities: [decom],
      tokens: [token({ status: 'revoked', revokedAt: at(-HOUR) })],
      certificates: [certificate({ notAfter: at(-DAY) })],
    }),
    expected: [],
  },
  {
    name: 'does not flag an active NHI with an active owner',
    snap: snapshot({ tokens: [token()], certificates: [certificate()] }),
    expected: [],
  },
];

describe('offboarding', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(offboarding, snap).map(brief)).toEqual(expected);
  });

  it('names the departed owner', () => {
    const [d] = runRule(offboarding, snapshot({ identities: [departed], tokens: [token()] }));
    expect(d?.explanation).toContain('alice@example.com');
    expect(d?.evidence.tokenIds).toEqual(['tok-1']);
  });
});
