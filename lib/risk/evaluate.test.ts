import { beforeAll, describe, expect, it } from 'vitest';
import { generateDemoEstate, type DemoEstate } from '../seed/demo-estate.ts';
import { FINDING_RULES } from '../domain/types.ts';
import { buildSnapshot, type RawEvent } from './build-snapshot.ts';
import { isCertLive, isLive } from './context.ts';
import { evaluate } from './evaluate.ts';
import { at, HOUR, identity, NOW, snapshot, token, usage } from './testing/facts.ts';
import { compareFindings } from './rank.ts';
import type { FindingDraft } from './snapshot.ts';

describe('evaluate on a small estate', () => {
  const snap = snapshot({
    identities: [identity(), identity({ id: 'id-agent', name: 'support-agent', kind: 'agent', transport: 'public' })],
    tokens: [
      token({ id: 'a', scopes: ['admin'], exposure: 'exposed' }),
      token({ id: 'b', identityId: 'id-agent', ttlSeconds: 7200 }),
      token({ id: 'c', binding: 'dpop', cnfJkt: 'j' }),
    ],
    tokenUsage: [usage({ tokenId: 'c', jktSeen: ['j'] })],
  });

  it('fires exactly the expected rules per token and nothing on the healthy DPoP token', () => {
    const keys = evaluate(snap, NOW).map((d) => d.dedupeKey).sort();
    expect(keys).toEqual([
      'exposed_active:token:a',
      'ttl_over_policy:token:b',
      'unbound_high_risk:token:a',
      'unbound_high_risk:token:b',
    ]);
  });

  it('returns drafts sorted by compareFindings (critical exposed bearer first)', () => {
    const drafts = evaluate(snap, NOW);
    expect([...drafts].sort(compareFindings)).toEqual(drafts);
    expect(drafts[0]?.dedupeKey).toBe('exposed_active:token:a');
  });

  it('runs only the selected rules', () => {
    expect(evaluate(snap, NOW, { rules: ['ttl_over_policy'] }).map((d) => d.rule)).toEqual(['ttl_over_policy']);
  });

  it('is deterministic for the same snapshot and clock', () => {
    expect(evaluate(snap, NOW)).toEqual(evaluate(snap, NOW));
  });
});

// The demo estate plants each risk on purpose; every expectation below is computed from the
// raw rows independently of the rules, so the test checks the rules against the data's intent.
describe('evaluate on the demo estate (seed 42)', () => {
  let estate: DemoEstate;
  let drafts: FindingDraft[];
  const byRule = (rule: string) => drafts.filter((d) => d.rule === rule);
  const tokenIds = (rule: string) => byRule(rule).map((d) => d.tokenId).sort();

  beforeAll(() => {
    estate = generateDemoEstate({ seed: 42, now: NOW });
    drafts = evaluate(buildSnapshot(estate, NOW), NOW);
  });

  it('evaluates 5,200 tokens and 50,000 events (snapshot + rules) in under 3 s, even on a loaded CI box', () => {
    const t0 = performance.now();
    evaluate(buildSnapshot(estate, NOW), NOW);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('gives every draft a unique dedupe key, words without "undefined"/"NaN", and JSON-safe evidence', () => {
    expect(new Set(drafts.map((d) => d.dedupeKey)).size).toBe(drafts.length);
    for (const d of drafts) {
      for (const text of [d.title, d.explanation, d.recommendation]) expect(text).not.toMatch(/undefined|NaN|null|\[object/);
      expect(JSON.parse(JSON.stringify(d.evidence))).toEqual(d.evidence);
      expect(Number.isInteger(d.blastRadius) && d.blastRadius >= 0).toBe(true);
    }
  });

  it('flags every leaked token that is still live, and no other', () => {
    const want = estate.tokens.filter((t) => t.exposure === 'exposed' && isLive(t, NOW)).map((t) => t.id).sort();
    expect(want.length).toBeGreaterThan(0);
    expect(tokenIds('exposed_active')).toEqual(want);
  });

  it('flags every revoked token presented after its revocation, and no other', () => {
    const revokedAt = new Map(estate.tokens.filter((t) => t.revokedAt).map((t) => [t.id, t.revokedAt!.getTime()]));
    const want = [...new Set(estate.events.filter((e) => e.tokenId && e.occurredAt.getTime() > (revokedAt.get(e.tokenId) ?? Infinity)).map((e) => e.tokenId!))].sort();
    expect(want.length).toBeGreaterThan(0);
    expect(tokenIds('replay_after_revocation')).toEqual(want);
    expect(byRule('replay_after_revocation').every((d) => d.severity === 'critical')).toBe(true);
  });

  it('flags every live bound token a misconfigured gateway accepted without proof, and no other', () => {
    const live = new Set(estate.tokens.filter((t) => t.binding !== 'bearer' && isLive(t, NOW)).map((t) => t.id));
    const want = [...new Set(estate.events.filter((e) => e.verdict === 'bound_not_enforced' && e.tokenId && live.has(e.tokenId)).map((e) => e.tokenId!))].sort();
    expect(want.length).toBeGreaterThan(0);
    expect(tokenIds('bound_not_enforced')).toEqual(want);
  });

  it('flags the gateway that strips binding context, and no other', () => {
    const weekAgo = NOW.getTime() - 7 * 24 * HOUR;
    const want = [...new Set(estate.events.filter((e) => e.verdict === 'binding_context_stripped' && e.occurredAt.getTime() > weekAgo).map((e) => e.gateway))];
    expect(byRule('binding_context_stripped').map((d) => d.evidence.gateway)).toEqual(want);
  });

  it('flags the deliberately shared certificates that still authenticate two identities (live tokens or verified use in 30 days)', () => {
    const monthAgo = NOW.getTime() - 30 * 24 * HOUR;
    const want = estate.sharedCertificateIds.filter((id) => {
      const cert = estate.certificates.find((c) => c.id === id)!;
      const users = new Set(estate.tokens.filter((t) => t.cnfX5tS256 === cert.x5tS256 && isLive(t, NOW)).map((t) => t.identityId));
      for (const e of estate.events) {
        if (e.verdict === 'ok' && e.x5tS256 === cert.x5tS256 && e.identityId && e.occurredAt.getTime() > monthAgo) users.add(e.identityId);
      }
      return isCertLive(cert, NOW) && users.size >= 2;
    });
    expect(want.length).toBeGreaterThan(0);
    expect([...new Set(byRule('credential_shared').map((d) => d.certificateId))].sort()).toEqual([...want].sort());
  });

  it('flags every decommissioned or orphaned identity that still holds a live credential, and no other', () => {
    const want = estate.identities
      .filter((i) => i.status === 'decommissioned' || i.ownerStatus === 'departed')
      .filter((i) => estate.tokens.some((t) => t.identityId === i.id && isLive(t, NOW)) || estate.certificates.some((c) => c.identityId === i.id && isCertLive(c, NOW)))
      .map((i) => i.id)
      .sort();
    expect(byRule('offboarding').map((d) => d.identityId).sort()).toEqual(want);
  });

  it('flags unbound high-risk tokens only among live bearer tokens, all privileged scopes the seed marks privileged included', () => {
    const flagged = new Set(tokenIds('unbound_high_risk'));
    for (const t of estate.tokens) {
      if (t.binding !== 'bearer' || !isLive(t, NOW)) expect(flagged.has(t.id)).toBe(false);
      else if (t.privileged) expect(flagged.has(t.id)).toBe(true);
    }
  });

  // leaking_hop reads decided hop chains (evidence."HopUsage"), which only ingested logs of two hops
  // produce; its table test is rules/leaking-hop.test.ts.
  it('fires every rule except fan_out (the demo plants no fan-out) and leaking_hop (no hop chains) at least once', () => {
    const fired = new Set(drafts.map((d) => d.rule));
    expect(FINDING_RULES.filter((r) => !fired.has(r))).toEqual(['fan_out', 'leaking_hop', 'forwarded_cert_from_untrusted_peer']);
  });

  it('at the end of the planted spike, flags the stolen DPoP token for replay and its agent and gateway for a failure spike', () => {
    const now = new Date(estate.spike.to.getTime() + HOUR);
    // Rows carry today's status; at spike time the victim token was still active.
    const tokens = estate.tokens.map((t) => (t.id === estate.spike.tokenId ? { ...t, status: 'active' as const } : t));
    const victim = tokens.find((t) => t.id === estate.spike.tokenId)!;
    const events: RawEvent[] = estate.events;
    const atSpike = evaluate(buildSnapshot({ ...estate, tokens, events }, now), now);
    const replay = atSpike.find((d) => d.dedupeKey === `replay_suspected:token:${victim.id}`);
    expect(replay?.evidence.signals).toContain('other_dpop_key');
    expect(atSpike.map((d) => d.dedupeKey)).toEqual(
      expect.arrayContaining([`failure_spike:identity:${victim.identityId}`, 'failure_spike:gateway:nginx-edge-1', `ttl_over_policy:token:${victim.id}`]),
    );
  });

  it('does not report the spike nine days later (the last 24 h are back to baseline)', () => {
    const victim = estate.tokens.find((t) => t.id === estate.spike.tokenId)!;
    expect(drafts.some((d) => d.dedupeKey === `failure_spike:identity:${victim.identityId}`)).toBe(false);
    expect(at(0)).toEqual(NOW);
  });
});
