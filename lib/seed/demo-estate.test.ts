import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { VERDICTS, type Binding, type Verdict } from '../domain/types.ts';
import { generateDemoEstate, generateDemoRawTokens, isPrivilegedScopeSet, type DemoEstate } from './demo-estate.ts';
import { GATEWAYS } from './demo-vocabulary.ts';
import { Rng } from './prng.ts';

const NOW = new Date('2026-11-22T08:00:00.000Z');
const DAY = 86_400_000;
const B64URL_SHA256 = /^[A-Za-z0-9_-]{43}$/;
const digest = (e: DemoEstate) => createHash('sha256').update(JSON.stringify(e)).digest('hex');
const countBy = <T>(xs: readonly T[], key: (x: T) => string) => {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
};

let estate: DemoEstate;
beforeAll(() => {
  estate = generateDemoEstate({ seed: 42, now: NOW });
});

describe('Rng', () => {
  it('replays the same stream for the same seed and a different one for another seed', () => {
    const a = new Rng(7);
    const b = new Rng('7');
    const c = new Rng(8);
    const sa = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(sa);
    expect(Array.from({ length: 5 }, () => c.u32())).not.toEqual(sa);
  });

  it('draws uuids shaped like RFC 4122 version 4', () => {
    const r = new Rng(1);
    for (let i = 0; i < 50; i++) expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('generateDemoEstate determinism', () => {
  it('gives a byte-identical estate for the same seed and clock', () => {
    expect(digest(generateDemoEstate({ seed: 42, now: NOW }))).toBe(digest(estate));
  });

  it('treats the seed 42 and the string "42" alike', () => {
    const small = { now: NOW, identities: 30, tokens: 200, events: 1000 };
    expect(digest(generateDemoEstate({ ...small, seed: '42' }))).toBe(digest(generateDemoEstate({ ...small, seed: 42 })));
  });

  it('gives a different estate for a different seed', () => {
    const small = { now: NOW, identities: 40, tokens: 400, events: 2000 };
    const one = generateDemoEstate({ ...small, seed: 42 });
    const other = generateDemoEstate({ ...small, seed: 43 });
    expect(digest(other)).not.toBe(digest(one));
    const fingerprints = new Set(one.tokens.map((t) => t.fingerprint));
    expect(other.tokens.filter((t) => fingerprints.has(t.fingerprint))).toHaveLength(0);
    expect(other.identities[0]!.id).not.toBe(one.identities[0]!.id);
  });

  it('moves the event window with the injected clock and never reads the system clock', () => {
    const later = new Date(NOW.getTime() + 10 * DAY);
    const shifted = generateDemoEstate({ seed: 42, now: later, identities: 40, tokens: 400, events: 5000 });
    const times = shifted.events.map((e) => e.occurredAt.getTime());
    expect(Math.max(...times)).toBeLessThanOrEqual(later.getTime());
    expect(Math.min(...times)).toBeGreaterThanOrEqual(later.getTime() - 30 * DAY);
  });
});

describe('demo estate sizes and mix', () => {
  it('has at least 300 identities, 5,000 tokens and exactly 50,000 events in the 30 days before now', () => {
    expect(estate.identities.length).toBeGreaterThanOrEqual(300);
    expect(estate.tokens.length).toBeGreaterThanOrEqual(5000);
    expect(estate.events).toHaveLength(50_000);
    const outside = estate.events.filter((e) => e.occurredAt > NOW || e.occurredAt.getTime() < NOW.getTime() - 30 * DAY);
    expect(outside).toEqual([]);
  });

  it('mixes bindings about 55 % bearer, 25 % mTLS, 20 % DPoP', () => {
    const by = countBy(estate.tokens, (t) => t.binding);
    const share = (b: Binding) => (by.get(b) ?? 0) / estate.tokens.length;
    expect(share('bearer')).toBeGreaterThan(0.5);
    expect(share('bearer')).toBeLessThan(0.6);
    expect(share('mtls')).toBeGreaterThan(0.2);
    expect(share('mtls')).toBeLessThan(0.3);
    expect(share('dpop')).toBeGreaterThan(0.15);
    expect(share('dpop')).toBeLessThan(0.25);
  });

  it('covers every kind of NHI, departed owners, decommissioned identities and every transport', () => {
    expect(new Set(estate.identities.map((i) => i.kind))).toEqual(new Set(['service', 'workload', 'pipeline', 'agent', 'partner']));
    expect(estate.identities.some((i) => i.ownerStatus === 'departed')).toBe(true);
    expect(estate.identities.some((i) => i.owner === null)).toBe(true);
    expect(estate.identities.filter((i) => i.status === 'decommissioned').length).toBeGreaterThanOrEqual(5);
    expect(new Set(estate.identities.map((i) => i.transport))).toEqual(new Set(['mesh', 'private_link', 'public', 'unknown']));
    expect(new Set(estate.identities.map((i) => i.name)).size).toBe(estate.identities.length);
  });

  it('spans TTLs from minutes (agents) to years (bearer PATs), plus a few that never expire', () => {
    const agentIds = new Set(estate.identities.filter((i) => i.kind === 'agent').map((i) => i.id));
    const agentDpop = estate.tokens.filter((t) => t.binding === 'dpop' && agentIds.has(t.identityId) && t.id !== estate.spike.tokenId);
    expect(agentDpop.length).toBeGreaterThan(100);
    expect(agentDpop.every((t) => (t.ttlSeconds ?? Infinity) <= 900)).toBe(true);
    const bearer = estate.tokens.filter((t) => t.binding === 'bearer');
    expect(bearer.filter((t) => (t.ttlSeconds ?? 0) >= 365 * 86_400).length).toBeGreaterThan(50);
    expect(bearer.some((t) => (t.ttlSeconds ?? 0) >= 5 * 365 * 86_400)).toBe(true);
    expect(bearer.some((t) => t.ttlSeconds === null && t.expiresAt === null)).toBe(true);
    expect(Math.min(...estate.tokens.map((t) => t.ttlSeconds ?? Infinity))).toBe(300);
  });

  it('has active, expired, revoked, exposed and privileged tokens with consistent flags', () => {
    const status = countBy(estate.tokens, (t) => t.status);
    expect(status.get('active')).toBeGreaterThan(500);
    expect(status.get('expired')).toBeGreaterThan(500);
    expect(status.get('revoked')).toBeGreaterThan(50);
    const exposed = estate.tokens.filter((t) => t.exposure === 'exposed');
    expect(exposed.length).toBeGreaterThan(30);
    expect(exposed.some((t) => t.status === 'active' && t.binding === 'bearer')).toBe(true);
    expect(estate.exposures.map((x) => x.tokenId).sort()).toEqual(exposed.map((t) => t.id).sort());
    for (const t of estate.tokens) {
      expect(t.privileged).toBe(isPrivilegedScopeSet(t.scopes));
      if (t.status === 'expired') expect(t.expiresAt!.getTime()).toBeLessThanOrEqual(NOW.getTime());
      if (t.status === 'revoked') expect(t.revokedAt).not.toBeNull();
      if (t.status === 'active') expect(t.expiresAt === null || t.expiresAt > NOW).toBe(true);
    }
    const privileged = new Set(estate.tokens.flatMap((t) => t.scopes).filter((s) => isPrivilegedScopeSet([s])));
    for (const s of ['admin', 'deploy', 'repo']) expect(privileged).toContain(s);
    expect([...privileged].some((s) => s.endsWith(':write'))).toBe(true);
    expect(new Set(estate.tokens.map((t) => t.issuer)).size).toBeGreaterThanOrEqual(4);
  });

  it('binds every mTLS token to an enrolled certificate and every DPoP token to a 43-character jkt', () => {
    const certs = new Map(estate.certificates.map((c) => [c.id, c]));
    for (const t of estate.tokens) {
      expect(t.fingerprint).toMatch(B64URL_SHA256);
      if (t.binding === 'mtls') {
        const c = certs.get(t.certificateId ?? '');
        expect(c?.x5tS256).toBe(t.cnfX5tS256);
      } else {
        expect(t.cnfX5tS256).toBeNull();
      }
      if (t.binding === 'dpop') expect(t.cnfJkt).toMatch(B64URL_SHA256);
      if (t.binding === 'bearer') expect(t.cnfJkt).toBeNull();
    }
    expect(new Set(estate.tokens.map((t) => t.fingerprint)).size).toBe(estate.tokens.length);
    expect(estate.tokens.filter((t) => t.bindingAnomaly && t.cnfJkt && t.cnfX5tS256)).toHaveLength(3);
  });

  it('has certificates expiring soon, expired, revoked, and two shared by tokens of two identities', () => {
    const soon = estate.certificates.filter((c) => c.status === 'active' && c.notAfter.getTime() - NOW.getTime() < 14 * DAY);
    expect(soon.length).toBeGreaterThan(0);
    expect(estate.certificates.some((c) => c.status === 'expired' && c.notAfter < NOW)).toBe(true);
    expect(estate.certificates.some((c) => c.status === 'revoked' && c.revokedAt)).toBe(true);
    for (const c of estate.certificates) {
      expect(c.x5tS256).toMatch(B64URL_SHA256);
      expect(c.sha1Hex).toMatch(/^[0-9a-f]{40}$/);
    }
    expect(estate.sharedCertificateIds).toHaveLength(2);
    for (const id of estate.sharedCertificateIds) {
      const holders = new Set(estate.tokens.filter((t) => t.certificateId === id).map((t) => t.identityId));
      expect(holders.size).toBe(2);
    }
  });
});

describe('demo traffic', () => {
  it('produces every single-hop verdict, mostly ok', () => {
    const by = countBy(estate.events, (e) => e.verdict);
    // spoofed_client_cert and cert_revoked_unchecked come from correlating hops and from trust
    // anchors, which the demo estate does not model: it never produces them.
    for (const v of VERDICTS.filter((x) => x !== 'spoofed_client_cert' && x !== 'cert_revoked_unchecked')) expect(by.get(v) ?? 0, v).toBeGreaterThan(50);
    expect(by.has('spoofed_client_cert') || by.has('cert_revoked_unchecked')).toBe(false);
    expect((by.get('ok') ?? 0) / estate.events.length).toBeGreaterThan(0.5);
  });

  it('refines proof_invalid with RFC 9449 reasons, htu/iat/jti_replay among them', () => {
    const reasons = countBy(estate.events.filter((e) => e.verdict === 'proof_invalid'), (e) => e.reason ?? 'null');
    for (const r of ['htu', 'iat', 'jti_replay', 'jkt_mismatch', 'nonce']) expect(reasons.get(r) ?? 0, r).toBeGreaterThan(0);
    expect(reasons.has('null')).toBe(false);
    const vocabulary: Record<Verdict, Array<string | null>> = {
      ok: [null], bearer_unbound: [null], binding_mismatch: [null], no_proof_for_bound_token: [null], bound_not_enforced: [null],
      binding_context_stripped: [null], token_expired: [null], proof_invalid: [...reasons.keys()],
      cert_revoked: ['crl', 'ocsp'], cert_expired: ['not_after'], cert_untrusted: ['unknown_ca', 'self_signed', 'chain_incomplete'],
      spoofed_client_cert: [], cert_revoked_unchecked: [],
    };
    expect(estate.events.filter((e) => !vocabulary[e.verdict].includes(e.reason))).toEqual([]);
  });

  it('puts bound_not_enforced on two misconfigured gateways and binding_context_stripped behind one proxy', () => {
    const bne = new Set(estate.events.filter((e) => e.verdict === 'bound_not_enforced').map((e) => e.gateway));
    expect(bne).toEqual(new Set(['nginx-legacy-billing', 'nginx-ci']));
    const stripped = estate.events.filter((e) => e.verdict === 'binding_context_stripped');
    expect(new Set(stripped.map((e) => e.gateway))).toEqual(new Set(['envoy-ingress-dmz']));
    expect(stripped.every((e) => e.x5tS256 === null)).toBe(true);
    expect(new Set(estate.events.map((e) => e.gateway))).toEqual(new Set(GATEWAYS.map((g) => g.name)));
  });

  it('uses a token only while it is valid when the request verifies', () => {
    const tokens = new Map(estate.tokens.map((t) => [t.id, t]));
    const bad: string[] = [];
    for (const e of estate.events) {
      if (!e.tokenId) continue;
      const t = tokens.get(e.tokenId);
      if (!t) {
        bad.push(`${e.dedupeKey}: unknown token`);
        continue;
      }
      if (e.tokenFingerprint !== t.fingerprint || e.identityId !== t.identityId) bad.push(`${e.dedupeKey}: token facts differ`);
      const when = e.occurredAt.getTime();
      if (e.verdict === 'ok' && e.tokenId !== estate.spike.tokenId) {
        if (when < t.issuedAt.getTime() || (t.expiresAt && when >= t.expiresAt.getTime())) bad.push(`${e.dedupeKey}: ok outside validity`);
        if (t.binding === 'mtls' && e.x5tS256 !== t.cnfX5tS256) bad.push(`${e.dedupeKey}: ok with another certificate`);
        if (t.binding === 'dpop' && e.jkt !== t.cnfJkt) bad.push(`${e.dedupeKey}: ok with another key`);
        if (t.binding === 'bearer') bad.push(`${e.dedupeKey}: ok for a bearer token`);
      }
      if (e.verdict === 'token_expired' && !(t.expiresAt && when > t.expiresAt.getTime())) bad.push(`${e.dedupeKey}: expired before exp`);
      if (e.verdict === 'binding_mismatch' && e.x5tS256 === t.cnfX5tS256) bad.push(`${e.dedupeKey}: mismatch with the bound certificate`);
    }
    expect(bad).toEqual([]);
  });

  it('draws client addresses only from the RFC 5737 documentation ranges', () => {
    const doc = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/;
    expect(estate.events.filter((e) => !doc.test(e.clientIp)).map((e) => e.clientIp)).toEqual([]);
  });

  it('follows a daily pattern: afternoons busier than nights', () => {
    const normal = estate.events.filter((e) => e.occurredAt < estate.spike.from || e.occurredAt >= estate.spike.to);
    const hours = countBy(normal, (e) => String(e.occurredAt.getUTCHours()));
    const afternoon = [12, 13, 14].reduce((a, h) => a + (hours.get(String(h)) ?? 0), 0);
    const night = [1, 2, 3].reduce((a, h) => a + (hours.get(String(h)) ?? 0), 0);
    expect(afternoon).toBeGreaterThan(3 * night);
  });

  it('has one failure spike: the busiest hour for failures is inside it, from outside addresses', () => {
    const failures = estate.events.filter((e) => e.verdict !== 'ok' && e.verdict !== 'bearer_unbound');
    const byHour = countBy(failures, (e) => String(Math.floor(e.occurredAt.getTime() / 3_600_000)));
    const [topHour, topCount] = [...byHour.entries()].sort((a, b) => b[1] - a[1])[0]!;
    const median = [...byHour.values()].sort((a, b) => a - b)[Math.floor(byHour.size / 2)]!;
    expect(topCount).toBeGreaterThan(20 * median);
    const t = Number(topHour) * 3_600_000;
    expect(t).toBeGreaterThanOrEqual(estate.spike.from.getTime() - 3_600_000);
    expect(t).toBeLessThan(estate.spike.to.getTime());
    const inSpike = estate.events.filter((e) => e.tokenId === estate.spike.tokenId && e.occurredAt >= estate.spike.from && e.occurredAt < estate.spike.to);
    expect(inSpike).toHaveLength(estate.spike.events);
    expect(inSpike.every((e) => e.clientIp.startsWith('203.0.113.'))).toBe(true);
  });

  it('keeps dedupe keys unique and redacts credentials in the stored raw line', () => {
    expect(new Set(estate.events.map((e) => e.dedupeKey)).size).toBe(estate.events.length);
    for (const e of estate.events.slice(0, 2000)) {
      const raw = JSON.parse(e.redactedRaw) as Record<string, unknown>;
      if (raw.authorization !== null) expect(raw.authorization).toMatch(/^(Bearer|DPoP) \[REDACTED\]$/);
      if (e.hasDpop) expect(raw.dpop).toBe('[REDACTED]');
    }
  });
});

describe('raw tokens', () => {
  it('are fingerprinted (base64url SHA-256) and appear nowhere in the estate', () => {
    const raw = generateDemoRawTokens({ seed: 42, now: NOW });
    expect(raw).toHaveLength(estate.tokens.length);
    expect(raw.filter((r, i) => createHash('sha256').update(r).digest('base64url') !== estate.tokens[i]!.fingerprint)).toEqual([]);
    expect(raw.some((r) => r.startsWith('hfpat_'))).toBe(true);
    expect(raw.some((r) => r.startsWith('eyJ'))).toBe(true);
    const text = JSON.stringify(estate);
    expect(text).not.toMatch(/hfpat_|eyJ[A-Za-z0-9_-]+\.eyJ/);
    // No string anywhere in the estate equals a raw token.
    const rawSet = new Set(raw);
    const leaked: string[] = [];
    JSON.parse(text, (_k, v: unknown) => {
      if (typeof v === 'string' && rawSet.has(v)) leaked.push(v);
      return v;
    });
    expect(leaked).toEqual([]);
  });
});
