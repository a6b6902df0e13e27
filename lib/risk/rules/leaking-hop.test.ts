import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot } from '../testing/facts.ts';
import type { HopLeak } from '../snapshot.ts';
import { leakingHop } from './leaking-hop.ts';

function leak(over: Partial<HopLeak> = {}): HopLeak {
  return {
    hop: { source: 'edge-haproxy', role: 'edge' },
    next: 'orders-backend',
    route: 'api.example.com /v1/orders',
    stripped: 0,
    clientSupplied: 0,
    clientSuppliedAccepted: 0,
    firstAt: at(-2 * HOUR),
    lastAt: at(-HOUR),
    example: '6f2c0e5a9b7d4c3e8f1a2b3c4d5e6f70',
    ...over,
  };
}

const KEY = 'leaking_hop:hop:edge-haproxy:edge:orders-backend';

const cases: { name: string; leaks: HopLeak[] | undefined; expected: { dedupeKey: string; severity: string }[] }[] = [
  { name: 'flags an edge that passed 3 client-supplied certificates on as critical', leaks: [leak({ clientSupplied: 3, clientSuppliedAccepted: 3 })], expected: [{ dedupeKey: KEY, severity: 'critical' }] },
  { name: 'a client-supplied certificate the backend refused is still critical (the hole is the same)', leaks: [leak({ clientSupplied: 1 })], expected: [{ dedupeKey: KEY, severity: 'critical' }] },
  { name: 'flags an edge that stripped the certificate of 2 requests as high', leaks: [leak({ stripped: 2 })], expected: [{ dedupeKey: KEY, severity: 'high' }] },
  {
    name: 'one finding for one hop leaking on two routes, critical when either route spoofs',
    leaks: [leak({ stripped: 2 }), leak({ route: 'api.example.com /v1/pay', clientSupplied: 1 })],
    expected: [{ dedupeKey: KEY, severity: 'critical' }],
  },
  {
    name: 'a proxy in the middle and the edge are two findings',
    leaks: [leak({ stripped: 1 }), leak({ hop: { source: 'mesh-sidecar', role: 'proxy' }, stripped: 1 })],
    expected: [{ dedupeKey: KEY, severity: 'high' }, { dedupeKey: 'leaking_hop:hop:mesh-sidecar:proxy:orders-backend', severity: 'high' }],
  },
  { name: 'nothing when the leak counts sum to zero (a chain decided again elsewhere)', leaks: [leak()], expected: [] },
  { name: 'nothing when no hops were correlated', leaks: undefined, expected: [] },
];

describe('leaking_hop', () => {
  it.each(cases)('$name', ({ leaks, expected }) => {
    expect(runRule(leakingHop, snapshot(leaks ? { hopLeaks: leaks } : {})).map(brief)).toEqual(expected);
  });

  it('names the hop, what it did and the routes in the words and the evidence', () => {
    const [d] = runRule(leakingHop, snapshot({ hopLeaks: [leak({ clientSupplied: 2, clientSuppliedAccepted: 1, stripped: 1 })] }));
    expect(d!.title).toBe('edge-haproxy passes client-supplied certificates on to orders-backend');
    expect(d!.explanation).toContain('1 request was accepted');
    expect(d!.explanation).toContain('api.example.com /v1/orders');
    expect(d!.evidence).toMatchObject({ hop: { source: 'edge-haproxy', role: 'edge' }, next: 'orders-backend', strippedRequests: 1, clientSuppliedRequests: 2, clientSuppliedAccepted: 1 });
    expect(d!.observedAt).toEqual(at(-HOUR));
  });
});
