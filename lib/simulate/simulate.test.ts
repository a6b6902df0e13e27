import { describe, expect, it } from 'vitest';
import { VERDICTS } from '../domain/types.ts';
import { classificationTable, classifyUsage, globToLike, parsePolicy, SimulationError, validateRange, type UsageFacts } from './index.ts';

const facts = (f: Partial<UsageFacts>): UsageFacts => ({ verdict: 'ok', missingProof: false, binding: 'mtls', ttlOverLimit: false, refusedByGateway: false, ...f });

describe('classifyUsage', () => {
  it.each([
    ['a bound token replayed with another certificate and accepted is an attack stopped', facts({ verdict: 'bound_not_enforced' }), 'mtls', 'attacksStopped', null],
    ['a spoofed client certificate is an attack stopped', facts({ verdict: 'spoofed_client_cert' }), 'mtls', 'attacksStopped', null],
    ['a bound token accepted without its certificate breaks', facts({ verdict: 'bound_not_enforced', missingProof: true }), 'mtls', 'legitimateBroken', 'bound_without_proof'],
    ['a bearer token breaks', facts({ verdict: 'bearer_unbound', binding: 'bearer' }), 'bound', 'legitimateBroken', 'bearer'],
    ['binding context stripped by a hop breaks', facts({ verdict: 'binding_context_stripped' }), 'mtls', 'legitimateBroken', 'context_stripped'],
    ['a DPoP-bound token under mtls breaks', facts({ binding: 'dpop' }), 'mtls', 'legitimateBroken', 'wrong_mechanism'],
    ['a DPoP-bound token under bound is fine', facts({ binding: 'dpop' }), 'bound', 'unaffected', null],
    ['a token over the TTL breaks', facts({ ttlOverLimit: true }), 'mtls', 'legitimateBroken', 'ttl_over_limit'],
    ['a bearer token over the TTL counts once, as bearer', facts({ verdict: 'bearer_unbound', binding: 'bearer', ttlOverLimit: true }), 'mtls', 'legitimateBroken', 'bearer'],
    ['a binding mismatch was refused already', facts({ verdict: 'binding_mismatch' }), 'mtls', 'alreadyRefused', null],
    ['a bearer token the gateway answered 401 was refused already', facts({ verdict: 'bearer_unbound', binding: 'bearer', refusedByGateway: true }), 'mtls', 'alreadyRefused', null],
    ['an expired token accepted is already invalid', facts({ verdict: 'token_expired' }), 'mtls', 'alreadyInvalid', null],
    ['a revoked certificate is already invalid', facts({ verdict: 'cert_revoked' }), 'dpop', 'alreadyInvalid', null],
    ['a bound token with its proof is unaffected', facts({}), 'mtls', 'unaffected', null],
  ] as const)('%s', (_name, f, require, category, brokenBy) => {
    expect(classifyUsage(f, require)).toEqual({ category, brokenBy });
  });

  it('the lookup table holds every verdict x proof x binding x TTL once, as classifyUsage says', () => {
    const t = classificationTable('mtls', VERDICTS);
    expect(t).toHaveLength(VERDICTS.length * 2 * 4 * 2);
    for (const r of t) expect(classifyUsage({ ...r, refusedByGateway: false }, 'mtls')).toEqual({ category: r.category, brokenBy: r.brokenBy });
  });
});

describe('parsePolicy refuses bad input with a code and one line', () => {
  it.each([
    ['an unknown scope selector', { require: 'mtls', scope: { colour: 'red' } }, 'unknown_selector', 'unknown selector scope.colour (known: gateway, source, routePrefix, identity, audience)'],
    ['an unknown policy field', { require: 'mtls', color: 1 }, 'unknown_selector', 'unknown selector color (known: require, maxTtlSeconds, scope)'],
    ['an unknown identity kind', { require: 'mtls', scope: { identity: { kind: 'robot' } } }, 'unknown_selector', 'unknown identity kind "robot" (known: service, workload, pipeline, agent, partner)'],
    ['mtls and dpop together', { require: ['mtls', 'dpop'] }, 'conflicting_requirements', 'conflicting requirements: a token is bound to a certificate or to a DPoP key, not both; require mtls, dpop or bound (either)'],
    ['an unknown requirement', { require: 'tls' }, 'invalid_requirement', 'require must be one of mtls, dpop, bound (got "tls")'],
    ['a zero TTL', { require: 'mtls', maxTtlSeconds: 0 }, 'invalid_max_ttl', 'maxTtlSeconds must be a whole number of seconds from 1 to 31536000'],
    ['a route with a space', { require: 'mtls', scope: { routePrefix: 'api.test /x' } }, 'invalid_route_prefix', 'scope.routePrefix must be host/path, host or /path (no spaces or quotes)'],
  ])('%s', (_name, input, code, message) => {
    try {
      parsePolicy(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SimulationError);
      expect({ code: (e as SimulationError).code, message: (e as Error).message }).toEqual({ code, message });
    }
  });

  it('keeps mtls when bound is asked beside it, and drops empty selectors', () => {
    expect(parsePolicy({ require: ['bound', 'mtls'], scope: { gateway: null, identity: {} } })).toEqual({ require: 'mtls' });
  });
});

describe('validateRange', () => {
  const d = (s: string) => new Date(s);
  it.each([
    ['an empty range', d('2026-11-01T00:00:00Z'), d('2026-11-01T00:00:00Z'), 'empty_range'],
    ['an inverted range', d('2026-11-02T00:00:00Z'), d('2026-11-01T00:00:00Z'), 'inverted_range'],
    ['a range of 401 days', d('2025-01-01T00:00:00Z'), d('2026-02-06T00:00:00Z'), 'range_too_long'],
  ])('refuses %s', (_n, from, to, code) => {
    expect(() => validateRange(from, to)).toThrow(expect.objectContaining({ code }));
  });
});

it('globToLike escapes LIKE wildcards and maps * and ?', () => {
  expect(globToLike('svc-*_a?%')).toBe('svc-%\\_a_\\%');
});
