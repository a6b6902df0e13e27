import { describe, expect, it } from 'vitest';
import { assignWave, buildRolloutPlan, classifyRequest, globMatch, keycloakSnippet, oidcProviderSnippet, planCsv, planPolicyWords, planProgress, recommendMechanism, selectorsNotInConfig, shellQuote, splitRoutePrefix, waveGatewayConfig } from './index.ts';
import type { RequestFacts } from './classify-request.ts';
import { brokenByOf } from './from-simulation.ts';
import type { BrokenBy, PlanIdentityInput, PlanPolicy, PlanRequirement } from './types.ts';

const NONE: BrokenBy = { bearerWithCertificate: 0, bearerWithDpopKey: 0, bearerNoKey: 0, boundWithoutProof: 0, contextStripped: 0, ttlOverLimit: 0 };

function identity(name: string, broken: Partial<BrokenBy> = {}, more: Partial<PlanIdentityInput> = {}, attacks = 0): PlanIdentityInput {
  const brokenBy = { ...NONE, ...broken };
  // A request broken for two reasons (bearer and over TTL) counts once: tests give disjoint causes.
  const legitimateBroken = Object.values(brokenBy).reduce((s, n) => s + n, 0);
  return {
    name, identityId: null, kind: 'service', transport: 'unknown', owner: 'team-a', ownerStatus: 'active',
    requests: { total: 100, wouldBeRefused: legitimateBroken + attacks, attacksStopped: attacks, legitimateBroken, alreadyRefused: 0, alreadyInvalid: 0 },
    brokenBy, clientNetworks: ['10.0.0.0'], gateways: ['edge'], maxTokenTtlSeconds: 3600, ...more,
  };
}

describe('assignWave', () => {
  const cases: { name: string; require: PlanRequirement; i: PlanIdentityInput; wave: number; reason: string }[] = [
    { name: 'nothing legitimate refused', require: 'mtls', i: identity('a'), wave: 0, reason: 'no_legitimate_request_refused' },
    { name: 'only attacks refused is still compliant', require: 'mtls', i: identity('a', {}, {}, 7), wave: 0, reason: 'no_legitimate_request_refused' },
    { name: 'bearer token with the client certificate under mtls', require: 'mtls', i: identity('a', { bearerWithCertificate: 40 }), wave: 1, reason: 'already_presents_key' },
    { name: 'bearer token with a DPoP key under mtls needs a certificate', require: 'mtls', i: identity('a', { bearerWithDpopKey: 40 }), wave: 2, reason: 'needs_key_material' },
    { name: 'bearer token with a DPoP key under dpop', require: 'dpop', i: identity('a', { bearerWithDpopKey: 40 }), wave: 1, reason: 'already_presents_key' },
    { name: 'bearer token with either key under bound', require: 'bound', i: identity('a', { bearerWithCertificate: 10, bearerWithDpopKey: 5 }), wave: 1, reason: 'already_presents_key' },
    { name: 'only the TTL is over the limit', require: 'bound', i: identity('a', { ttlOverLimit: 9 }), wave: 1, reason: 'ttl_only' },
    { name: 'one bearer request without key material', require: 'bound', i: identity('a', { bearerWithCertificate: 10, bearerNoKey: 1 }), wave: 2, reason: 'needs_key_material' },
    { name: 'a hop strips the certificate', require: 'mtls', i: identity('a', { contextStripped: 3 }), wave: 2, reason: 'needs_key_material' },
    { name: 'owner departed and a change is needed', require: 'bound', i: identity('a', { bearerNoKey: 3 }, { ownerStatus: 'departed' }), wave: 3, reason: 'owner_departed' },
    { name: 'owner departed but nothing breaks', require: 'bound', i: identity('a', {}, { ownerStatus: 'departed' }), wave: 0, reason: 'no_legitimate_request_refused' },
    { name: 'every request shows no token (unknown): not compliant', require: 'mtls', i: identity('a', {}, { requests: { ...identity('a').requests, unknown: 100 } }), wave: 2, reason: 'traffic_unknown' },
    { name: 'attacks and otherwise only unknown: not compliant', require: 'mtls', i: identity('a', {}, { requests: { ...identity('a', {}, {}, 7).requests, unknown: 93 } }), wave: 2, reason: 'traffic_unknown' },
    { name: 'some requests judged compliant, some unknown: compliant on what was seen', require: 'mtls', i: identity('a', {}, { requests: { ...identity('a').requests, unknown: 40 } }), wave: 0, reason: 'no_legitimate_request_refused' },
    { name: 'unknown and broken: the broken requests decide', require: 'mtls', i: identity('a', { bearerWithCertificate: 10 }, { requests: { ...identity('a', { bearerWithCertificate: 10 }).requests, unknown: 90 } }), wave: 1, reason: 'already_presents_key' },
  ];
  it.each(cases)('$name → wave $wave ($reason)', ({ require, i, wave, reason }) => {
    expect(assignWave(i, require)).toEqual({ wave, reason });
  });

  it('a declared exception wins over every other rule, by glob', () => {
    expect(assignWave(identity('legacy-batch-7', { bearerWithCertificate: 5 }), 'mtls', [{ identity: 'legacy-*', reason: 'vendor appliance' }])).toEqual({ wave: 3, reason: 'declared_exception' });
    expect(globMatch('legacy-*', 'legacy-x.y')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });
});

describe('recommendMechanism', () => {
  const cases: { name: string; require: PlanRequirement; i: PlanIdentityInput; mechanism: string; reason: string }[] = [
    { name: 'the policy names mtls', require: 'mtls', i: identity('a', { bearerNoKey: 1 }), mechanism: 'mtls', reason: 'required_by_policy' },
    { name: 'the policy names dpop', require: 'dpop', i: identity('a', { contextStripped: 1 }, { transport: 'mesh' }), mechanism: 'dpop', reason: 'required_by_policy' },
    { name: 'a hop strips certificates, even on a mesh', require: 'bound', i: identity('a', { contextStripped: 2 }, { transport: 'mesh' }), mechanism: 'dpop', reason: 'hop_strips_certificate' },
    { name: 'already presents a certificate', require: 'bound', i: identity('a', { bearerWithCertificate: 2, bearerNoKey: 1 }, { transport: 'public' }), mechanism: 'mtls', reason: 'already_presents_certificate' },
    { name: 'already sends DPoP proofs', require: 'bound', i: identity('a', { bearerWithDpopKey: 2, bearerNoKey: 1 }), mechanism: 'dpop', reason: 'already_presents_dpop_key' },
    { name: 'mesh issues workload certificates', require: 'bound', i: identity('a', { bearerNoKey: 2 }, { transport: 'mesh' }), mechanism: 'mtls', reason: 'platform_controls_transport' },
    { name: 'private link', require: 'bound', i: identity('a', { bearerNoKey: 2 }, { transport: 'private_link' }), mechanism: 'mtls', reason: 'platform_controls_transport' },
    { name: 'a partner client', require: 'bound', i: identity('a', { bearerNoKey: 2 }, { kind: 'partner' }), mechanism: 'dpop', reason: 'client_not_under_our_control' },
    { name: 'a pipeline', require: 'bound', i: identity('a', { bearerNoKey: 2 }, { kind: 'pipeline' }), mechanism: 'dpop', reason: 'ephemeral_runner' },
    { name: 'public from many networks', require: 'bound', i: identity('a', { bearerNoKey: 2 }, { transport: 'public', clientNetworks: ['1.0.0.0', '2.0.0.0', '3.0.0.0'] }), mechanism: 'dpop', reason: 'public_diverse_clients' },
    { name: 'nothing known', require: 'bound', i: identity('a', { bearerNoKey: 2 }), mechanism: 'dpop', reason: 'default_no_pki' },
  ];
  it.each(cases)('$name → $mechanism ($reason)', ({ require, i, mechanism, reason }) => {
    expect(recommendMechanism(i, require)).toEqual({ mechanism, reasons: [reason] });
  });
});

const POLICY: PlanPolicy = { require: 'bound', maxTtlSeconds: 900, scope: { routePrefix: 'api.test/orders' } };
const RANGE = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-11-11T00:00:00Z') };
const NOW = new Date('2026-12-01T00:00:00Z');

function samplePlan(policy: PlanPolicy = POLICY) {
  return buildRolloutPlan({
    policy, range: RANGE, now: NOW,
    identities: [
      identity('svc-ok', {}, {}, 4),
      identity('svc-cert-bearer', { bearerWithCertificate: 60 }),
      identity('svc-new', { bearerNoKey: 30 }, { transport: 'mesh' }),
      identity('svc-behind-proxy', { contextStripped: 50 }),
      identity("vendor-o'brien", { bearerNoKey: 20 }, { clientNetworks: ['192.0.2.0', '10.1.0.0'] }),
    ],
    exceptions: [{ identity: 'vendor-*', reason: 'appliance firmware', owner: 'ops@example.com' }],
  });
}

describe('buildRolloutPlan', () => {
  it('puts every identity in exactly one wave, biggest impact first, with refused volume per wave and day', () => {
    const plan = samplePlan();
    expect(plan.waves.map((w) => [w.wave, w.identities.map((i) => i.name)])).toEqual([
      [0, ['svc-ok']], [1, ['svc-cert-bearer']], [2, ['svc-behind-proxy', 'svc-new']], [3, ["vendor-o'brien"]],
    ]);
    expect(plan.waves[2]!.expectedRefused).toEqual({ total: 80, legitimateBroken: 80, attacksStopped: 0, perDay: 8 });
    expect(plan.waves[0]!.expectedRefused).toEqual({ total: 4, legitimateBroken: 0, attacksStopped: 4, perDay: 0.4 });
    expect(plan.totals).toEqual({ identities: 5, requests: 500, wouldBeRefused: 164, attacksStopped: 4, legitimateBroken: 160 });
    expect(plan.waves[2]!.identities.map((i) => i.mechanism?.mechanism)).toEqual(['dpop', 'mtls']);
  });

  it('gives exceptions compensating controls: short TTL, observed networks, owner, expiry 90 days out', () => {
    const exc = samplePlan().waves[3]!.identities[0]!.exception;
    expect(exc).toEqual({ maxTtlSeconds: 300, allowNetworks: ['10.1.0.0', '192.0.2.0'], owner: 'ops@example.com', expiresAt: '2027-03-01', reason: 'appliance firmware' });
  });

  it('maps waves to framework controls from the mapping table', () => {
    const plan = samplePlan();
    const ids = (n: number) => plan.waves[n]!.controls.map((c) => `${c.framework} ${c.control}`);
    expect(ids(2)).toEqual(expect.arrayContaining(['owasp-nhi-2025 NHI4:2025', 'nist-csf-2.0 PR.AA-02']));
    expect(ids(3).length).toBeGreaterThan(0);
    expect(ids(3)).not.toContain('nist-csf-2.0 PR.AA-02');
  });
});

describe('authorization server configuration', () => {
  it('oidc-provider: features per mechanism and each client binding metadata', () => {
    const plan = samplePlan();
    const s = oidcProviderSnippet(plan.waves[2]!, POLICY);
    expect(s).toContain('dPoP: { enabled: true }');
    expect(s).toContain('certificateBoundAccessTokens: true');
    expect(s).toContain('{ client_id: "svc-new", tls_client_certificate_bound_access_tokens: true');
    expect(s).toContain('{ client_id: "svc-behind-proxy", dpop_bound_access_tokens: true');
    expect(s).toContain('ttl: { AccessToken: 900 }');
  });
  it('Keycloak: kcadm sets the binding attribute, client ids shell-quoted', () => {
    const plan = samplePlan();
    const k = keycloakSnippet(plan.waves[1]!, POLICY);
    expect(k).toContain(`-q clientId='svc-cert-bearer'`);
    expect(k).toContain(`-s 'attributes."tls.client.certificate.bound.access.tokens"=true'`);
    expect(k).toContain(`-s 'attributes."access.token.lifespan"=900'`);
    expect(keycloakSnippet({ ...plan.waves[2]!, identities: plan.waves[2]!.identities.slice(0, 1) }, POLICY)).toContain('"dpop.bound.access.tokens"=true');
    expect(shellQuote("o'brien; rm -rf /")).toBe(`'o'\\''brien; rm -rf /'`);
  });
});

describe('gateway configuration per wave', () => {
  it('NGINX for wave 1: the scope of the plan, the wave named, later waves warned about', () => {
    const text = waveGatewayConfig(samplePlan(), 1, { gateway: 'nginx', upstream: 'http://10.0.0.5:8080' });
    expect(text).toMatch(/^# Holdfast rollout plan - wave 1: Authorization server change only\n# For: svc-cert-bearer/);
    expect(text).toContain('svc-behind-proxy, svc-new');
    expect(text).toContain('server_name api.test;');
    expect(text).toContain('location /orders {');
    expect(text).toContain('set $holdfast_require bound;');
    expect(text).toContain('set $holdfast_max_ttl 900;');
  });
  it('HAProxy in report_only', () => {
    const text = waveGatewayConfig(samplePlan(), 2, { gateway: 'haproxy', mode: 'report_only' });
    expect(text).toContain('mode report_only');
  });
  it('wave 3 has no enforcement configuration; a bad upstream is refused by name', () => {
    expect(() => waveGatewayConfig(samplePlan(), 3, { gateway: 'nginx' })).toThrow(/wave 3 holds exceptions/);
    expect(() => waveGatewayConfig(samplePlan(), 1, { gateway: 'nginx', upstream: 'http://x;evil' })).toThrow(expect.objectContaining({ code: 'validation_failed', message: expect.stringContaining('upstream') }));
  });
  it('is scoped by the route only: source, identity kind and name, privileged and audience change the waves\' identities, not the configuration', () => {
    const narrowed: PlanPolicy = { ...POLICY, scope: { ...POLICY.scope, source: 'edge-eu', identity: { kind: 'service', nameGlob: 'svc-*', privileged: true }, audience: 'orders-api' } };
    expect(selectorsNotInConfig(POLICY)).toEqual([]);
    expect(selectorsNotInConfig(narrowed)).toEqual(['source edge-eu', 'service identities', 'identities svc-*', 'privileged tokens', 'audience orders-api']);
    for (const gateway of ['nginx', 'haproxy'] as const) {
      const plain = waveGatewayConfig(samplePlan(), 1, { gateway });
      const text = waveGatewayConfig(samplePlan(narrowed), 1, { gateway });
      const note = "# The plan's source edge-eu, service identities, identities svc-*, privileged tokens, audience orders-api chose the identities of its waves: this configuration does not check them,\n#   it refuses every request on its route without the binding, whoever sends it.\n";
      // The same configuration, byte for byte, once the note saying so is taken out.
      expect(text).toContain(note);
      expect(text.replace(note, '')).toBe(plain);
      for (const v of ['edge-eu', 'svc-*', 'orders-api']) expect(text.replace(note, '')).not.toContain(v);
    }
  });
  it('splits route prefixes', () => {
    expect(splitRoutePrefix('api.test/orders')).toEqual({ serverName: 'api.test', locationPrefix: '/orders' });
    expect(splitRoutePrefix('api.test /orders')).toEqual({ serverName: 'api.test', locationPrefix: '/orders' });
    expect(splitRoutePrefix('/v1')).toEqual({ locationPrefix: '/v1' });
    expect(splitRoutePrefix('api.test')).toEqual({ serverName: 'api.test', locationPrefix: '/' });
  });
});

describe('planProgress', () => {
  it('per wave: compliant identities, not seen, requests the gateway refused, enforced when nothing refusable got through', () => {
    const plan = samplePlan();
    const after = (name: string, r: Partial<PlanIdentityInput['requests']>) => ({ ...identity(name), requests: { total: 0, wouldBeRefused: 0, attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, ...r } });
    const p = planProgress(plan, [
      after('svc-cert-bearer', { total: 12, alreadyRefused: 2 }),
      after('svc-new', { total: 10, wouldBeRefused: 4, legitimateBroken: 4 }),
    ], { from: NOW, to: new Date('2026-12-02T00:00:00Z') });
    const w = (n: number) => p.waves[n]!;
    expect(w(1)).toEqual({ wave: 1, identities: 1, compliant: 1, notSeen: 0, requests: { total: 12, compliant: 10, wouldBeRefused: 0, refusedByGateway: 2 }, ratio: 1, enforced: true });
    expect(w(2)).toMatchObject({ identities: 2, compliant: 0, notSeen: 1, requests: { total: 10, compliant: 6, wouldBeRefused: 4, refusedByGateway: 0 }, ratio: 0.6, enforced: false });
    expect(w(0)).toMatchObject({ notSeen: 1, ratio: null, enforced: false });
  });
  it('requests with no known token are not compliant ones, and an identity with only those is not compliant', () => {
    const plan = samplePlan();
    const after = (name: string, r: Partial<PlanIdentityInput['requests']>) => ({ ...identity(name), requests: { total: 0, wouldBeRefused: 0, attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, ...r } });
    const p = planProgress(plan, [after('svc-cert-bearer', { total: 12, unknown: 12 })], { from: NOW, to: new Date('2026-12-02T00:00:00Z') });
    expect(p.waves[1]).toMatchObject({ identities: 1, compliant: 0, notSeen: 0, requests: { total: 12, compliant: 0, wouldBeRefused: 0, refusedByGateway: 0 } });
  });
});

describe('planCsv', () => {
  it('one row per identity, formula-looking cells neutralised', () => {
    const csv = planCsv(samplePlan()).split('\r\n');
    expect(csv[0]).toBe('wave,wave_title,identity,kind,why_this_wave,mechanism,mechanism_reasons,requests,would_be_refused,attacks_stopped,legitimate_broken,exception_owner,exception_expires,exception_max_ttl_seconds,exception_allow_networks,policy_require,policy_max_ttl_seconds,policy_scope');
    expect(csv.filter(Boolean)).toHaveLength(6);
    expect(csv[5]).toContain("3,Exceptions with compensating controls,vendor-o'brien,service");
    expect(csv[5]).toContain('ops@example.com,2027-03-01,300,10.1.0.0 192.0.2.0');
  });
  it('carries the policy and its whole scope on every row, and in words', () => {
    const plan = samplePlan({ require: 'mtls', maxTtlSeconds: 600, scope: { source: 'edge', identity: { privileged: false }, audience: 'orders' } });
    const rows = planCsv(plan).split('\r\n').filter(Boolean).slice(1);
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r.endsWith(',mtls,600,"source edge, unprivileged tokens, audience orders"')).toBe(true);
    expect(planPolicyWords(plan)).toBe('require mtls, max token TTL 600 s; scope: source edge, unprivileged tokens, audience orders');
    expect(planPolicyWords(samplePlan({ require: 'dpop' }))).toBe('require dpop; scope: everywhere');
  });
});

describe('classifyRequest', () => {
  const base: RequestFacts = { verdict: 'ok', reason: null, accepted: true, binding: 'mtls', hasCert: true, hasJkt: false, ttlSeconds: 600 };
  const cases: { name: string; f: Partial<RequestFacts>; require: PlanRequirement; want: [string, string | null] }[] = [
    { name: 'ok mtls under mtls', f: {}, require: 'mtls', want: ['compliant', null] },
    { name: 'a refused bearer request (401)', f: { verdict: 'bearer_unbound', binding: 'bearer', accepted: false }, require: 'mtls', want: ['alreadyRefused', null] },
    { name: 'binding_mismatch is a refusal', f: { verdict: 'binding_mismatch', reason: 'x5t_mismatch', accepted: null }, require: 'mtls', want: ['alreadyRefused', null] },
    { name: 'accepted with another certificate', f: { verdict: 'bound_not_enforced', reason: 'x5t_mismatch' }, require: 'mtls', want: ['attack', null] },
    { name: 'accepted without its certificate', f: { verdict: 'bound_not_enforced', reason: 'no_certificate', hasCert: false }, require: 'mtls', want: ['broken', 'boundWithoutProof'] },
    { name: 'a hop dropped the certificate', f: { verdict: 'binding_context_stripped', reason: 'certificate_not_forwarded' }, require: 'bound', want: ['broken', 'contextStripped'] },
    { name: 'bearer with a certificate', f: { verdict: 'bearer_unbound', binding: 'bearer' }, require: 'mtls', want: ['broken', 'bearerWithCertificate'] },
    { name: 'bearer with a DPoP key under dpop', f: { verdict: 'bearer_unbound', binding: 'bearer', hasCert: false, hasJkt: true }, require: 'dpop', want: ['broken', 'bearerWithDpopKey'] },
    { name: 'bearer with nothing', f: { verdict: 'bearer_unbound', binding: 'bearer', hasCert: false }, require: 'bound', want: ['broken', 'bearerNoKey'] },
    { name: 'DPoP token under mtls', f: { binding: 'dpop', hasCert: false, hasJkt: true }, require: 'mtls', want: ['broken', 'bearerWithDpopKey'] },
    { name: 'expired token', f: { verdict: 'token_expired' }, require: 'mtls', want: ['alreadyInvalid', null] },
    { name: 'spoofed certificate', f: { verdict: 'spoofed_client_cert' }, require: 'mtls', want: ['attack', null] },
    { name: 'ok with no known token (Caddy redacted Authorization)', f: { binding: null, reason: 'binding_unknown', ttlSeconds: null }, require: 'mtls', want: ['unknown', null] },
    { name: 'a bearer scheme with no known token', f: { verdict: 'bearer_unbound', binding: null, hasCert: false, ttlSeconds: null }, require: 'mtls', want: ['broken', 'bearerNoKey'] },
  ];
  it.each(cases)('$name → $want', ({ f, require, want }) => {
    const r = classifyRequest({ ...base, ...f }, { require });
    expect([r.category, r.brokenBy]).toEqual(want);
  });
  it('a token over the TTL limit breaks only when the policy has one', () => {
    expect(classifyRequest(base, { require: 'mtls', maxTtlSeconds: 300 })).toEqual({ category: 'broken', brokenBy: 'ttlOverLimit' });
    expect(classifyRequest(base, { require: 'mtls', maxTtlSeconds: 600 })).toEqual({ category: 'compliant', brokenBy: null });
  });
});

describe('brokenByOf (a simulation row as plan input)', () => {
  const row = (bearer: number, presented: { certificate: number; dpopKey: number; none: number }, rest: Partial<Record<'bound_without_proof' | 'context_stripped' | 'wrong_mechanism' | 'ttl_over_limit', number>> = {}) => ({
    brokenBy: { bearer, bound_without_proof: 0, context_stripped: 0, wrong_mechanism: 0, ttl_over_limit: 0, ...rest },
    presented,
  });
  it('attributes bearer requests to the certificate the identity presents (wave 1 under mtls)', () => {
    const b = brokenByOf(row(5, { certificate: 5, dpopKey: 0, none: 0 }), 'mtls');
    expect(b).toMatchObject({ bearerWithCertificate: 5, bearerNoKey: 0 });
    expect(assignWave({ ...identity('x'), brokenBy: b, requests: { ...identity('x').requests, legitimateBroken: 5, wouldBeRefused: 5 } }, 'mtls')).toEqual({ wave: 1, reason: 'already_presents_key' });
  });
  it('the rest to no key; DPoP first under dpop; another mechanism\'s token counts as that key', () => {
    expect(brokenByOf(row(5, { certificate: 2, dpopKey: 0, none: 3 }), 'mtls')).toMatchObject({ bearerWithCertificate: 2, bearerNoKey: 3 });
    expect(brokenByOf(row(4, { certificate: 3, dpopKey: 3, none: 0 }), 'dpop')).toMatchObject({ bearerWithDpopKey: 3, bearerWithCertificate: 1, bearerNoKey: 0 });
    expect(brokenByOf(row(0, { certificate: 0, dpopKey: 2, none: 0 }, { wrong_mechanism: 2 }), 'mtls')).toMatchObject({ bearerWithDpopKey: 2, bearerWithCertificate: 0 });
  });
});
