import { describe, expect, it } from 'vitest';
import { VERDICTS } from '../domain/types.ts';
import { z } from 'zod';
import { classificationTable, classifyUsage, describeScope, globToLike, parsePolicy, policySchema, scopeWords, SimulationError, spoofedPathCategory, unknownWords, validateRange, type SimulationCategory, type UsageFacts } from './index.ts';

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
    ['no known token (Caddy redacted Authorization, ok / binding_unknown) cannot be judged, not unaffected', facts({ binding: 'unknown' }), 'mtls', 'unknown', null],
    ['no known token cannot be judged under dpop or bound either', facts({ binding: 'unknown' }), 'bound', 'unknown', null],
    ['a bearer scheme with no known token still breaks, as bearer', facts({ verdict: 'bearer_unbound', binding: 'unknown' }), 'mtls', 'legitimateBroken', 'bearer'],
    ['a bound token accepted without its proof, token not in the inventory, still breaks', facts({ verdict: 'bound_not_enforced', missingProof: true, binding: 'unknown' }), 'mtls', 'legitimateBroken', 'bound_without_proof'],
    ['a spoofed certificate with no known token is an attack stopped', facts({ verdict: 'spoofed_client_cert', binding: 'unknown' }), 'mtls', 'attacksStopped', null],
    ['no known token the gateway refused was refused already', facts({ binding: 'unknown', refusedByGateway: true }), 'mtls', 'alreadyRefused', null],
  ] as const)('%s', (_name, f, require, category, brokenBy) => {
    expect(classifyUsage(f, require)).toEqual({ category, brokenBy });
  });

  it('the lookup table holds every verdict x proof x binding x TTL once, as classifyUsage says', () => {
    const t = classificationTable('mtls', VERDICTS);
    expect(t).toHaveLength(VERDICTS.length * 2 * 4 * 2);
    for (const r of t) expect(classifyUsage({ ...r, refusedByGateway: false }, 'mtls')).toEqual({ category: r.category, brokenBy: r.brokenBy });
  });

  it('unknownWords says how many of how many, and that they are not counted unaffected', () => {
    expect(unknownWords(3, 10)).toMatch(/^3 of 10 requests cannot be judged: the log shows no token .* counted in requests\.unknown, not unaffected\./);
  });
});

describe('spoofedPathCategory', () => {
  it.each<[string, SimulationCategory, boolean, SimulationCategory]>([
    ['the backend line that said ok to the forged certificate is the attack', 'unaffected', true, 'attacksStopped'],
    ['the edge line of a bound token without its certificate is the same attack at another hop, not a client breaking', 'legitimateBroken', false, 'sameAttackOtherHops'],
    ['an edge line that looked fine is the same attack at another hop, not unaffected', 'unaffected', false, 'sameAttackOtherHops'],
    ['a second line that reads as an attack on its own still counts the path once', 'attacksStopped', false, 'sameAttackOtherHops'],
    ['a line with no known token on the attack hop is the attack', 'unknown', true, 'attacksStopped'],
    ['a line the gateway refused stays already refused', 'alreadyRefused', true, 'alreadyRefused'],
    ['a line with an expired token stays already invalid', 'alreadyInvalid', false, 'alreadyInvalid'],
  ])('%s', (_, own, countsTheAttack, to) => {
    expect(spoofedPathCategory(own, countsTheAttack)).toBe(to);
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
    ['privileged that is not a boolean', { require: 'mtls', scope: { identity: { privileged: 'yes' } } }, 'unknown_selector', 'scope.identity.privileged must be true or false'],
    ['an unknown identity selector', { require: 'mtls', scope: { identity: { team: 'a' } } }, 'unknown_selector', 'unknown selector scope.identity.team (known: kind, nameGlob, privileged)'],
    ['an identity selector that is not an object', { require: 'mtls', scope: { identity: 'svc-a' } }, 'unknown_selector', 'scope.identity must be an object with kind, nameGlob or privileged'],
    ['a blank source', { require: 'mtls', scope: { source: '  ' } }, 'unknown_selector', 'scope.source must be a non-empty text of at most 300 characters'],
    ['an audience that is not text', { require: 'mtls', scope: { audience: 7 } }, 'unknown_selector', 'scope.audience must be a non-empty text of at most 300 characters'],
    ['a gateway with a control character', { require: 'mtls', scope: { gateway: 'edge\u0000' } }, 'unknown_selector', 'scope.gateway must be a non-empty text of at most 300 characters'],
    ['a scope that is not an object', { require: 'mtls', scope: 'edge' }, 'unknown_selector', 'scope must be an object with gateway, source, routePrefix, identity or audience'],
    ['a policy that is not an object', 'mtls', 'invalid_requirement', 'the policy must be an object with require (mtls, dpop or bound)'],
    ['no requirement', {}, 'invalid_requirement', 'require must be one of mtls, dpop, bound (got nothing)'],
    ['an empty list of requirements', { require: [] }, 'invalid_requirement', 'require must be one of mtls, dpop, bound'],
    ['an unknown requirement in a list', { require: ['mtls', 'tls'] }, 'invalid_requirement', 'require must be one of mtls, dpop, bound (got "tls")'],
    ['a TTL that is not whole', { require: 'mtls', maxTtlSeconds: 1.5 }, 'invalid_max_ttl', 'maxTtlSeconds must be a whole number of seconds from 1 to 31536000'],
    ['an unknown selector beside a bad one', { require: 'mtls', color: 1, scope: 5 }, 'unknown_selector', 'unknown selector color (known: require, maxTtlSeconds, scope)'],
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

  it('keeps every selector, trimmed', () => {
    const scope = { source: ' edge ', gateway: 'gw', routePrefix: '*.api.test:8443/v1', identity: { kind: 'agent', nameGlob: 'svc-*', privileged: false }, audience: 'orders' };
    expect(parsePolicy({ require: 'dpop', maxTtlSeconds: 600, scope })).toEqual({ require: 'dpop', maxTtlSeconds: 600, scope: { ...scope, source: 'edge' } });
  });
});

describe('policySchema inside a request body', () => {
  const body = z.strictObject({ policy: policySchema });
  it.each([
    [{ require: 'mtls', scope: { colour: 'red' } }, 'policy.scope', 'unknown selector scope.colour (known: gateway, source, routePrefix, identity, audience)'],
    [{ require: 'mtls', scope: { identity: { privileged: 'yes' } } }, 'policy.scope.identity.privileged', 'must be true or false'],
    [{ require: ['mtls', 'dpop'] }, 'policy.require', 'conflicting requirements: a token is bound to a certificate or to a DPoP key, not both; require mtls, dpop or bound (either)'],
    [{ require: 'mtls', scope: { routePrefix: 'api.test/"x' } }, 'policy.scope.routePrefix', 'must be host/path, host or /path (no spaces or quotes)'],
  ])('names the field of %j with the words parsePolicy uses', (policy, path, message) => {
    const r = body.safeParse({ policy });
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error!.issues[0]!;
    expect({ path: issue.path.join('.'), message: issue.message }).toEqual({ path, message });
    expect(() => parsePolicy(policy)).toThrow(message.startsWith('must') ? `${path.slice('policy.'.length)} ${message}` : message);
  });
});

describe('describeScope', () => {
  it('one phrase per selector, in a fixed order; no scope is everywhere', () => {
    const scope = { audience: 'orders', identity: { privileged: true, nameGlob: 'svc-*', kind: 'agent' as const }, routePrefix: '/v1', gateway: 'gw', source: 'edge' };
    expect(describeScope(scope).map((p) => p.selector)).toEqual(['source', 'gateway', 'routePrefix', 'kind', 'nameGlob', 'privileged', 'audience']);
    expect(scopeWords(scope)).toBe('source edge, gateway gw, route /v1, agent identities, identities svc-*, privileged tokens, audience orders');
    expect(scopeWords({ identity: { privileged: false } })).toBe('unprivileged tokens');
    expect(scopeWords(null)).toBe('everywhere');
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
