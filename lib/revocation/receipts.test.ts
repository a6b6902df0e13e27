// The pure part of revocation receipts: how what hourly usage and notable requests say about one
// enforcement point becomes its status. The real traffic is in receipts-real.test.ts.
import { describe, expect, it } from 'vitest';
import { buildPointReceipts, pointStatus, requestAccepted, type NotablePoint, type UsagePoint } from './receipts.ts';

const NOW = new Date('2026-12-01T12:00:00Z');
const at = (hhmm: string) => new Date(`2026-12-01T${hhmm}:00Z`);
const usage = (o: Partial<UsagePoint>): UsagePoint => ({ ns: 'src-1', gateway: 'edge-a', lastSeenAt: at('10:00'), everAccepted: true, acceptedBefore: at('10:00'), okAfter: 0, ...o });
const notable = (o: Partial<NotablePoint>): NotablePoint => ({
  ns: 'src-1', gateway: 'edge-a', lastSeenAt: null, acceptedBefore: null, acceptedAfter: 0, refusedAfter: 0, okAfter: 0, firstAfter: null, lastAfter: null, lastAcceptedAfter: null, ...o,
});
const names = new Map([['src-1', 'edge-a-source']]);

describe('pointStatus', () => {
  it.each([
    [1, 0, 'still_accepting'],
    [1, 5, 'still_accepting'],
    [0, 3, 'effective'],
    [0, 0, 'not_seen_since'],
  ] as const)('accepted %i, refused %i after the revocation → %s', (a, r, want) => {
    expect(pointStatus(a, r)).toBe(want);
  });
});

describe('requestAccepted', () => {
  it.each([
    [200, 'ok', true],
    [200, 'cert_revoked_unchecked', true],
    [401, 'ok', false],
    [403, 'bearer_unbound', false],
    [495, 'cert_revoked', false],
    [400, 'cert_revoked', false],
    [400, 'cert_untrusted', false],
    [400, 'cert_expired', false],
    [400, 'ok', true],
    [404, 'cert_revoked', true],
    [502, 'ok', true],
    [null, 'ok', true],
    [null, 'bound_not_enforced', true],
    [null, 'cert_revoked', false],
    [null, 'binding_mismatch', false],
  ] as const)('status %s with verdict %s → accepted %s', (status, verdict, want) => {
    expect(requestAccepted(status, verdict)).toBe(want);
  });
});

describe('buildPointReceipts', () => {
  it('a point that accepted the credential again after the revocation is still accepting, critical, with the times', () => {
    const [p] = buildPointReceipts(
      [usage({ lastSeenAt: at('11:10') })],
      [notable({ lastSeenAt: at('11:10'), acceptedAfter: 2, okAfter: 2, firstAfter: at('11:00'), lastAfter: at('11:10'), lastAcceptedAfter: at('11:10') })],
      names, NOW,
    );
    expect(p).toEqual({
      source: 'edge-a-source', gateway: 'edge-a', lastAcceptedBefore: at('10:00').toISOString(),
      requestsAfter: { accepted: 2, refused: 0, firstAt: at('11:00').toISOString(), lastAt: at('11:10').toISOString(), lastAcceptedAt: at('11:10').toISOString() },
      lastSeenAt: at('11:10').toISOString(), status: 'still_accepting', notSeenForSeconds: null, severity: 'critical', finding: null,
    });
  });

  it('a point that only refused it since is effective', () => {
    const [p] = buildPointReceipts([usage({ everAccepted: true })], [notable({ refusedAfter: 3, firstAfter: at('11:00'), lastAfter: at('11:20') })], names, NOW);
    expect([p!.status, p!.severity, p!.requestsAfter.refused, p!.notSeenForSeconds]).toEqual(['effective', null, 3, null]);
  });

  it('a point not seen since says for how long, measured to the receipt time', () => {
    const [p] = buildPointReceipts([usage({ lastSeenAt: at('10:00') })], [], names, NOW);
    expect([p!.status, p!.notSeenForSeconds]).toEqual(['not_seen_since', 7200]);
  });

  it('leaves out points that never accepted the credential (a thief refused everywhere is not a place the token is accepted)', () => {
    expect(buildPointReceipts([usage({ everAccepted: false, acceptedBefore: null })], [notable({ refusedAfter: 1 })], names, NOW)).toEqual([]);
  });

  it('ok requests in usage beyond the notable ones (a revoked certificate with a token not revoked) count as accepted; never negative', () => {
    expect(buildPointReceipts([usage({ okAfter: 5 })], [notable({ okAfter: 2, acceptedAfter: 2 })], names, NOW)[0]!.requestsAfter.accepted).toBe(5);
    expect(buildPointReceipts([usage({ okAfter: 0 })], [notable({ okAfter: 2, acceptedAfter: 2 })], names, NOW)[0]!.requestsAfter.accepted).toBe(2);
  });

  it('the last acceptance before is the later of what usage and notable requests say', () => {
    const [p] = buildPointReceipts([usage({ acceptedBefore: at('09:00') })], [notable({ acceptedBefore: at('10:29') })], names, NOW);
    expect(p!.lastAcceptedBefore).toBe(at('10:29').toISOString());
  });

  it('a batch without a source has no source name; still-accepting points come first', () => {
    const ps = buildPointReceipts(
      [usage({ ns: 'format:nginx-json', gateway: 'api.test' }), usage({ gateway: 'edge-b' })],
      [notable({ gateway: 'edge-b', acceptedAfter: 1 })],
      names, NOW,
    );
    expect(ps.map((p) => [p.source, p.gateway, p.status])).toEqual([
      ['edge-a-source', 'edge-b', 'still_accepting'],
      [null, 'api.test', 'not_seen_since'],
    ]);
  });
});

describe('an unconfirmed revocation', () => {
  it('judges no gateway: requests since it was requested are reported, every point awaiting_confirmation, nothing critical', () => {
    const points = buildPointReceipts(
      [usage({ okAfter: 2 }), usage({ gateway: 'edge-b', okAfter: 0, lastSeenAt: at('09:00') })],
      [notable({ acceptedAfter: 2, okAfter: 2, firstAfter: at('11:00'), lastAfter: at('11:01'), lastAcceptedAfter: at('11:01') })],
      names, NOW, true,
    );
    expect(points.map((p) => [p.gateway, p.status, p.severity, p.requestsAfter.accepted, p.notSeenForSeconds])).toEqual([
      ['edge-a', 'awaiting_confirmation', null, 2, null],
      ['edge-b', 'awaiting_confirmation', null, 0, null],
    ]);
    // The same evidence once confirmed before those requests: edge-a still accepts it.
    expect(buildPointReceipts([usage({ okAfter: 2 })], [notable({ acceptedAfter: 2, okAfter: 2 })], names, NOW).map((p) => [p.status, p.severity])).toEqual([['still_accepting', 'critical']]);
  });
});
