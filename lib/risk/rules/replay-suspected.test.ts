import { describe, expect, it } from 'vitest';
import { at, brief, certificate, HOUR, runRule, snapshot, token, usage } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { replaySuspected } from './replay-suspected.ts';

const mtls = token({ binding: 'mtls', cnfX5tS256: 'x5t-A' });
const dpop = token({ binding: 'dpop', cnfJkt: 'jkt-A' });
const key = 'replay_suspected:token:tok-1';

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags an mTLS-bound token presented with certificate x5t-B instead of x5t-A (high)',
    snap: snapshot({ tokens: [mtls], tokenUsage: [usage({ x5tS256Seen: ['x5t-A', 'x5t-B'] })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags a DPoP-bound token presented with proofs from key jkt-B (high)',
    snap: snapshot({ tokens: [dpop], tokenUsage: [usage({ jktSeen: ['jkt-B'] })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags a bearer token first seen with certificate x5t-A and later with x5t-B',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ first: { x5tS256: 'x5t-A', jkt: null, clientIp: '10.0.0.5' }, x5tS256Seen: ['x5t-A', 'x5t-B'] })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'flags a bearer token seen from 10.0.0.5 and 203.0.113.9 (another network origin, medium)',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ clientIpsSeen: ['10.0.0.5', '203.0.113.9'] })] }),
    expected: [{ dedupeKey: key, severity: 'medium' }],
  },
  {
    name: 'raises a privileged bearer token seen from another network origin to high',
    snap: snapshot({ tokens: [token({ scopes: ['admin'] })], tokenUsage: [usage({ clientIpsSeen: ['10.0.0.5', '203.0.113.9'] })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'does not flag a bearer token seen from 10.0.0.5 and 10.0.0.77 (same /24)',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ clientIpsSeen: ['10.0.0.5', '10.0.0.77'] })] }),
    expected: [],
  },
  {
    name: 'does not flag a bearer token of orders-svc seen with its old and its rotated certificate (both issued to orders-svc)',
    snap: snapshot({
      certificates: [certificate({ id: 'c-old', x5tS256: 'x5t-A' }), certificate({ id: 'c-new', x5tS256: 'x5t-B' })],
      tokens: [token()],
      tokenUsage: [usage({ first: { x5tS256: 'x5t-A', jkt: null, clientIp: '10.0.0.5' }, x5tS256Seen: ['x5t-A', 'x5t-B'] })],
    }),
    expected: [],
  },
  {
    name: 'still flags a bearer token seen with a certificate issued to another identity',
    snap: snapshot({
      certificates: [certificate({ id: 'c-old', x5tS256: 'x5t-A' }), certificate({ id: 'c-other', x5tS256: 'x5t-B', identityId: 'id-other' })],
      tokens: [token()],
      tokenUsage: [usage({ first: { x5tS256: 'x5t-A', jkt: null, clientIp: '10.0.0.5' }, x5tS256Seen: ['x5t-A', 'x5t-B'] })],
    }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'does not flag an mTLS-bound token always presented with its own certificate',
    snap: snapshot({ tokens: [mtls], tokenUsage: [usage({ x5tS256Seen: ['x5t-A'] })] }),
    expected: [],
  },
  {
    name: 'does not flag a DPoP-bound token moving between networks with its own key',
    snap: snapshot({ tokens: [dpop], tokenUsage: [usage({ jktSeen: ['jkt-A'], clientIpsSeen: ['10.0.0.5', '203.0.113.9'] })] }),
    expected: [],
  },
  {
    name: 'does not flag an expired token presented with another certificate',
    snap: snapshot({ tokens: [{ ...mtls, expiresAt: at(-HOUR) }], tokenUsage: [usage({ x5tS256Seen: ['x5t-B'] })] }),
    expected: [],
  },
  {
    name: 'does not flag a token with no events',
    snap: snapshot({ tokens: [mtls] }),
    expected: [],
  },
];

describe('replay_suspected', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(replaySuspected, snap).map(brief)).toEqual(expected);
  });

  it('lists the other certificate in the evidence and says "is bound to"', () => {
    const [d] = runRule(replaySuspected, snapshot({ tokens: [mtls], tokenUsage: [usage({ x5tS256Seen: ['x5t-A', 'x5t-B'] })] }));
    expect(d?.evidence.otherX5tS256).toEqual(['x5t-B']);
    expect(d?.explanation).toContain('is bound to');
  });
});
