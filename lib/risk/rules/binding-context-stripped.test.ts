import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot } from '../testing/facts.ts';
import { PolicySchema } from '../policy.ts';
import type { RouteUsage } from '../snapshot.ts';
import { bindingContextStripped } from './binding-context-stripped.ts';

function route(over: Partial<RouteUsage> = {}): RouteUsage {
  return {
    gateway: 'edge-1',
    route: '/api/orders',
    boundTokenEvents: 40,
    verdictCounts: { ok: 30, binding_context_stripped: 10 },
    distinctBoundTokens: 4,
    strippedTokens: 2,
    sampleTokenIds: ['tok-1', 'tok-2'],
    firstAt: at(-2 * HOUR),
    lastAt: at(-HOUR),
    ...over,
  };
}

const cases: { name: string; routes: RouteUsage[]; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags edge-1 /api/orders where 10 bound-token requests arrived without certificate or proof',
    routes: [route()],
    expected: [{ dedupeKey: 'binding_context_stripped:route:edge-1:/api/orders', severity: 'high' }],
  },
  {
    name: 'flags a whole gateway (route null) with the * subject',
    routes: [route({ route: null })],
    expected: [{ dedupeKey: 'binding_context_stripped:route:edge-1:*', severity: 'high' }],
  },
  {
    name: 'does not flag a route where every bound token arrived with its context',
    routes: [route({ verdictCounts: { ok: 40 } })],
    expected: [],
  },
  {
    name: 'does not flag a route whose bound tokens only failed proof checks (context was there)',
    routes: [route({ verdictCounts: { proof_invalid: 5, ok: 35 } })],
    expected: [],
  },
];

describe('binding_context_stripped', () => {
  it.each(cases)('$name', ({ routes, expected }) => {
    expect(runRule(bindingContextStripped, snapshot({ routes })).map(brief)).toEqual(expected);
  });

  it('uses the number of distinct bound tokens as blast radius', () => {
    expect(runRule(bindingContextStripped, snapshot({ routes: [route()] }))[0]?.blastRadius).toBe(4);
  });

  it('counts the tokens in the stripped requests, not every bound token the gateway saw (BB1 R6: "5 requests … (6 tokens)")', () => {
    const [f] = runRule(bindingContextStripped, snapshot({ routes: [route()] }));
    expect(f?.explanation).toMatch(/^10 requests carrying bound tokens \(2 tokens\)/);
    expect(f?.evidence).toMatchObject({ strippedTokens: 2, distinctBoundTokens: 4 });
  });

  it('does not flag 2 stripped events when the policy asks for at least 5', () => {
    const policy = PolicySchema.parse({ contextStripped: { minEvents: 5 } });
    expect(runRule(bindingContextStripped, snapshot({ routes: [route({ verdictCounts: { binding_context_stripped: 2 } })] }), policy)).toEqual([]);
  });
});
