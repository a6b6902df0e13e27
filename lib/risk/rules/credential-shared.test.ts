import { describe, expect, it } from 'vitest';
import { at, brief, certificate, DAY, HOUR, identity, runRule, snapshot, token } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { credentialShared } from './credential-shared.ts';

const a = identity({ id: 'id-a', name: 'svc-a' });
const b = identity({ id: 'id-b', name: 'svc-b' });

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags one certificate x5t-A bound to tokens of svc-a and svc-b (one finding per identity)',
    snap: snapshot({
      identities: [a, b],
      tokens: [
        token({ id: 't-a', identityId: 'id-a', binding: 'mtls', cnfX5tS256: 'x5t-A' }),
        token({ id: 't-b', identityId: 'id-b', binding: 'mtls', cnfX5tS256: 'x5t-A' }),
      ],
    }),
    expected: [
      { dedupeKey: 'credential_shared:x5t:x5t-A:id-a', severity: 'high' },
      { dedupeKey: 'credential_shared:x5t:x5t-A:id-b', severity: 'high' },
    ],
  },
  {
    name: 'flags one DPoP key jkt-A presented by svc-a and svc-b in events',
    snap: snapshot({ identities: [a, b], credentialUse: [{ kind: 'jkt', thumbprint: 'jkt-A', identityIds: ['id-a', 'id-b'], events: 12, lastAt: at(-HOUR) }] }),
    expected: [
      { dedupeKey: 'credential_shared:jkt:jkt-A:id-a', severity: 'high' },
      { dedupeKey: 'credential_shared:jkt:jkt-A:id-b', severity: 'high' },
    ],
  },
  {
    name: 'flags svc-b binding its token to a certificate issued to svc-a',
    snap: snapshot({
      identities: [a, b],
      certificates: [certificate({ identityId: 'id-a', x5tS256: 'x5t-A' })],
      tokens: [token({ id: 't-b', identityId: 'id-b', binding: 'mtls', cnfX5tS256: 'x5t-A' })],
    }),
    expected: [
      { dedupeKey: 'credential_shared:x5t:x5t-A:id-a', severity: 'high' },
      { dedupeKey: 'credential_shared:x5t:x5t-A:id-b', severity: 'high' },
    ],
  },
  {
    name: 'does not flag several tokens of one identity bound to the same certificate',
    snap: snapshot({
      identities: [a],
      tokens: [
        token({ id: 't-1', identityId: 'id-a', binding: 'mtls', cnfX5tS256: 'x5t-A' }),
        token({ id: 't-2', identityId: 'id-a', binding: 'mtls', cnfX5tS256: 'x5t-A' }),
      ],
    }),
    expected: [],
  },
  {
    name: 'does not flag a shared certificate that has been revoked',
    snap: snapshot({
      identities: [a, b],
      certificates: [certificate({ x5tS256: 'x5t-A', status: 'revoked', revokedAt: at(-DAY) })],
      credentialUse: [{ kind: 'x5t', thumbprint: 'x5t-A', identityIds: ['id-a', 'id-b'], events: 3, lastAt: at(-2 * DAY) }],
    }),
    expected: [],
  },
  {
    name: 'does not flag two identities whose only shared binding is on expired tokens',
    snap: snapshot({
      identities: [a, b],
      tokens: [
        token({ id: 't-a', identityId: 'id-a', binding: 'dpop', cnfJkt: 'jkt-A', expiresAt: at(-HOUR) }),
        token({ id: 't-b', identityId: 'id-b', binding: 'dpop', cnfJkt: 'jkt-A', expiresAt: at(-HOUR) }),
      ],
    }),
    expected: [],
  },
];

describe('credential_shared', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(credentialShared, snap).map(brief)).toEqual(expected);
  });

  it('names the other identity in each finding', () => {
    const drafts = runRule(credentialShared, cases[0]!.snap);
    expect(drafts[0]?.explanation).toContain('svc-b');
    expect(drafts[1]?.explanation).toContain('svc-a');
  });
});
