import { describe, expect, it } from 'vitest';
import type { Verdict } from '../domain/types.ts';
import { audienceOf, buildSnapshot, routeOf, type RawEvent } from './build-snapshot.ts';
import { at, DAY, HOUR, identity, NOW, token } from './testing/facts.ts';

function ev(over: Partial<RawEvent> & { verdict: Verdict }): RawEvent {
  return {
    occurredAt: at(-HOUR),
    gateway: 'edge-1',
    url: 'https://orders.internal/api/orders/42?x=1',
    clientIp: '10.0.0.5',
    identityId: 'id-svc',
    tokenId: 'tok-1',
    x5tS256: null,
    jkt: null,
    ...over,
  };
}

const base = { identities: [identity(), identity({ id: 'id-b', name: 'svc-b' })], certificates: [], exposures: [] };

describe('buildSnapshot aggregates', () => {
  it('summarises a token: first seen with, distinct values, verdict counts, gateways not enforcing', () => {
    const snap = buildSnapshot(
      {
        ...base,
        tokens: [token({ binding: 'mtls', cnfX5tS256: 'x5t-A' })],
        events: [
          ev({ verdict: 'ok', occurredAt: at(-3 * HOUR), x5tS256: 'x5t-A', clientIp: '10.0.0.5' }),
          ev({ verdict: 'binding_mismatch', occurredAt: at(-2 * HOUR), x5tS256: 'x5t-B', clientIp: '203.0.113.9' }),
          ev({ verdict: 'bound_not_enforced', gateway: 'legacy-gw', url: '/v1/pay' }),
        ],
      },
      NOW,
    );
    expect(snap.tokenUsage).toEqual([
      expect.objectContaining({
        tokenId: 'tok-1',
        events: 3,
        firstSeenAt: at(-3 * HOUR),
        lastSeenAt: at(-HOUR),
        first: { x5tS256: 'x5t-A', jkt: null, clientIp: '10.0.0.5' },
        x5tS256Seen: ['x5t-A', 'x5t-B'],
        clientIpsSeen: ['10.0.0.5', '203.0.113.9'],
        audiencesSeen: ['legacy-gw', 'orders.internal'],
        verdictCounts: { ok: 1, binding_mismatch: 1, bound_not_enforced: 1 },
        notEnforcedAt: ['legacy-gw'],
      }),
    ]);
  });

  it('counts events after revocation and which of them were accepted', () => {
    const snap = buildSnapshot(
      {
        ...base,
        tokens: [token({ status: 'revoked', revokedAt: at(-2 * HOUR) })],
        events: [
          ev({ verdict: 'ok', occurredAt: at(-3 * HOUR) }),
          ev({ verdict: 'bearer_unbound', occurredAt: at(-90 * 60_000) }),
          ev({ verdict: 'cert_revoked', occurredAt: at(-HOUR) }),
        ],
      },
      NOW,
    );
    expect(snap.tokenUsage[0]).toMatchObject({ eventsAfterRevocation: 2, acceptedAfterRevocation: 1, firstSeenAfterRevocationAt: at(-90 * 60_000) });
  });

  it('ignores events after now (evaluating the past)', () => {
    const snap = buildSnapshot({ ...base, tokens: [token()], events: [ev({ verdict: 'ok', occurredAt: at(HOUR) })] }, NOW);
    expect(snap.tokenUsage).toEqual([]);
  });

  it('puts binding failures in rolling 24 h buckets counted back from now, per identity and per gateway', () => {
    const snap = buildSnapshot(
      {
        ...base,
        tokens: [token()],
        events: [
          ev({ verdict: 'proof_invalid', occurredAt: at(-1) }),
          ev({ verdict: 'proof_invalid', occurredAt: at(-DAY + 1) }),
          ev({ verdict: 'cert_expired', occurredAt: at(-DAY) }),
          ev({ verdict: 'binding_mismatch', occurredAt: at(-7 * DAY - 1) }),
          ev({ verdict: 'token_expired', occurredAt: at(-1) }),
          ev({ verdict: 'binding_mismatch', occurredAt: at(-9 * DAY) }),
        ],
      },
      NOW,
    );
    expect(snap.failureSeries).toEqual([
      { subject: { kind: 'identity', identityId: 'id-svc' }, buckets: [2, 1, 0, 0, 0, 0, 0, 1] },
      { subject: { kind: 'gateway', gateway: 'edge-1' }, buckets: [2, 1, 0, 0, 0, 0, 0, 1] },
    ]);
  });

  it('leaves out failure series with no failure in the last 24 h', () => {
    const snap = buildSnapshot({ ...base, tokens: [token()], events: [ev({ verdict: 'proof_invalid', occurredAt: at(-2 * DAY) })] }, NOW);
    expect(snap.failureSeries).toEqual([]);
  });

  it('records a certificate verified for two identities as credential use, but not one presented with a mismatch', () => {
    const events = [
      ev({ verdict: 'ok', identityId: 'id-svc', x5tS256: 'x5t-A' }),
      ev({ verdict: 'ok', identityId: 'id-b', tokenId: 'tok-2', x5tS256: 'x5t-A' }),
      ev({ verdict: 'ok', identityId: 'id-svc', x5tS256: 'x5t-C' }),
      ev({ verdict: 'binding_mismatch', identityId: 'id-b', tokenId: 'tok-2', x5tS256: 'x5t-C' }),
    ];
    const snap = buildSnapshot({ ...base, tokens: [token(), token({ id: 'tok-2', identityId: 'id-b' })], events }, NOW);
    expect(snap.credentialUse).toEqual([{ kind: 'x5t', thumbprint: 'x5t-A', identityIds: ['id-b', 'id-svc'], events: 2, lastAt: at(-HOUR) }]);
  });

  it('summarises bound-token traffic per gateway (route null by default) within 7 days', () => {
    const snap = buildSnapshot(
      {
        ...base,
        tokens: [token({ binding: 'dpop', cnfJkt: 'j' }), token({ id: 'tok-2' })],
        events: [
          ev({ verdict: 'binding_context_stripped' }),
          ev({ verdict: 'ok' }),
          ev({ verdict: 'ok', tokenId: 'tok-2' }),
          ev({ verdict: 'binding_context_stripped', occurredAt: at(-8 * DAY) }),
        ],
      },
      NOW,
    );
    expect(snap.routes).toEqual([
      expect.objectContaining({ gateway: 'edge-1', route: null, boundTokenEvents: 2, verdictCounts: { binding_context_stripped: 1, ok: 1 }, distinctBoundTokens: 1 }),
    ]);
  });
});

describe('audienceOf / routeOf', () => {
  it.each([
    ['https://Orders.Internal:8443/a', 'gw', 'orders.internal:8443'],
    ['/relative/path', 'gw', 'gw'],
    [null, 'gw', 'gw'],
  ] as const)('audienceOf(%s, %s) → %s', (url, gw, want) => {
    expect(audienceOf(url, gw)).toBe(want);
  });

  it.each([
    ['https://h/api/orders/42?q=1', 2, '/api/orders'],
    ['/api', 2, '/api'],
    ['https://h/api/orders', 0, null],
    [null, 2, null],
  ] as const)('routeOf(%s, %d) → %s', (url, depth, want) => {
    expect(routeOf(url, depth)).toBe(want);
  });
});
