import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot, token, usage } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { replayAfterRevocation } from './replay-after-revocation.ts';

const revoked = token({ status: 'revoked', revokedAt: at(-2 * HOUR) });

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags a token revoked 2 h ago and presented 3 times since (critical)',
    snap: snapshot({ tokens: [revoked], tokenUsage: [usage({ eventsAfterRevocation: 3, firstSeenAfterRevocationAt: at(-HOUR) })] }),
    expected: [{ dedupeKey: 'replay_after_revocation:token:tok-1', severity: 'critical' }],
  },
  {
    name: 'flags a revoked token even when every later request was rejected',
    snap: snapshot({ tokens: [revoked], tokenUsage: [usage({ eventsAfterRevocation: 1, acceptedAfterRevocation: 0 })] }),
    expected: [{ dedupeKey: 'replay_after_revocation:token:tok-1', severity: 'critical' }],
  },
  {
    name: 'does not flag a revoked token not seen since its revocation',
    snap: snapshot({ tokens: [revoked], tokenUsage: [usage({ eventsAfterRevocation: 0 })] }),
    expected: [],
  },
  {
    name: 'does not flag an active token (never revoked)',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ eventsAfterRevocation: 0 })] }),
    expected: [],
  },
];

describe('replay_after_revocation', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(replayAfterRevocation, snap).map(brief)).toEqual(expected);
  });

  it('says requests were accepted when a gateway let the revoked token through', () => {
    const [d] = runRule(replayAfterRevocation, snapshot({ tokens: [revoked], tokenUsage: [usage({ eventsAfterRevocation: 2, acceptedAfterRevocation: 2 })] }));
    expect(d?.explanation).toContain('2 requests were accepted');
    expect(d?.evidence.acceptedAfterRevocation).toBe(2);
  });
});
