// Findings DB layer on both runtimes, over the demo estate (seed 42): the SQL snapshot gives
// the same findings as the in-memory reference (lib/risk buildSnapshot), each rule fires where
// the data says (the same independent expectations as lib/risk/evaluate.test.ts), evaluation
// is idempotent, acknowledgements hide a finding until they expire, and findings resolve when
// their evidence goes away.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../../domain/types.ts';
import { buildSnapshot, evaluate, isCertLive, isLive } from '../../risk/index.ts';
import { generateDemoEstate, type DemoEstate } from '../../seed/demo-estate.ts';
import { seedDemo } from '../../seed/seed-demo.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { getSummary, UNBOUND_HIGH_RISK_SQL } from '../summary.ts';
import { acknowledgeFindings, buildEstateSnapshot, evaluateFindings, loadPolicy, savePolicy } from './index.ts';

const NOW = new Date('2026-11-22T10:00:00.000Z');
const HOUR = 3_600_000;

for (const runtime of RUNTIMES) {
  describe(`findings on the demo estate (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let estate: DemoEstate;
    const stored = async (rule: string) =>
      (await t!.db.query<{ tokenId: string | null; identityId: string | null; certificateId: string | null; evidence: Record<string, unknown> }>(
        `SELECT "tokenId"::text AS "tokenId", "identityId"::text AS "identityId", "certificateId"::text AS "certificateId", evidence
           FROM "Finding" WHERE rule = $1 AND status <> 'resolved'`,
        [rule],
      ));
    const tokenIds = async (rule: string) => (await stored(rule)).map((r) => r.tokenId).sort();

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      estate = generateDemoEstate({ seed: 42, now: NOW });
      await seedDemo(t.db, { seed: 42, now: NOW });
    }, 120_000);
    afterAll(async () => {
      await t?.drop();
    });

    it('builds from SQL aggregates the snapshot that yields the same findings as the in-memory reference', async (ctx) => {
      if (!t) return ctx.skip();
      const fromDb = await buildEstateSnapshot((sql, p) => t!.db.query(sql, p), NOW);
      const ref = buildSnapshot(estate, NOW);
      expect(fromDb.tokenUsage.length).toBe(ref.tokenUsage.length);
      expect(fromDb.routes.map((r) => r.gateway).sort()).toEqual(ref.routes.map((r) => r.gateway).sort());
      expect(fromDb.credentialUse.length).toBe(ref.credentialUse.length);
      const key = (d: { dedupeKey: string; severity: string; blastRadius: number }) => `${d.dedupeKey} ${d.severity} ${d.blastRadius}`;
      expect(evaluate(fromDb, NOW).map(key).sort()).toEqual(evaluate(ref, NOW).map(key).sort());
    });

    it('stores every draft as an open finding with an "opened" history row and one audit entry', async (ctx) => {
      if (!t) return ctx.skip();
      const r = await evaluateFindings(t.db, { now: NOW, actor: 'test' });
      expect(r.opened).toBe(r.drafts);
      expect(r.opened).toBeGreaterThan(100);
      const [n] = await t.db.query<{ f: number; h: number; a: number }>(
        `SELECT (SELECT count(*) FROM "Finding" WHERE status = 'open')::int AS f,
                (SELECT count(*) FROM "FindingHistory" WHERE action = 'opened')::int AS h,
                (SELECT count(*) FROM "AuditEntry" WHERE action = 'findings.evaluate')::int AS a`,
      );
      expect(n).toEqual({ f: r.opened, h: r.opened, a: 1 });
      // Every rule the demo plants fired (fan_out is not planted; leaking_hop needs ingested hop chains).
      expect(FINDING_RULES.filter((rule) => !(rule in r.active))).toEqual(['fan_out', 'leaking_hop', 'forwarded_cert_from_untrusted_peer']);
    });

    it('is idempotent: a second run at the same clock changes nothing', async (ctx) => {
      if (!t) return ctx.skip();
      const r = await evaluateFindings(t.db, { now: NOW, actor: 'test' });
      expect({ opened: r.opened, updated: r.updated, reopened: r.reopened, resolved: r.resolved }).toEqual({ opened: 0, updated: 0, reopened: 0, resolved: 0 });
    });

    it('exposed_active: every live leaked token, and no other', async (ctx) => {
      if (!t) return ctx.skip();
      const want = estate.tokens.filter((x) => x.exposure === 'exposed' && isLive(x, NOW)).map((x) => x.id).sort();
      expect(want.length).toBeGreaterThan(0);
      expect(await tokenIds('exposed_active')).toEqual(want);
    });

    it('replay_after_revocation: every revoked token presented after revocation, and no other', async (ctx) => {
      if (!t) return ctx.skip();
      const revokedAt = new Map(estate.tokens.filter((x) => x.revokedAt).map((x) => [x.id, x.revokedAt!.getTime()]));
      const want = [...new Set(estate.events.filter((e) => e.tokenId && e.occurredAt.getTime() > (revokedAt.get(e.tokenId) ?? Infinity)).map((e) => e.tokenId!))].sort();
      expect(want.length).toBeGreaterThan(0);
      expect(await tokenIds('replay_after_revocation')).toEqual(want);
    });

    it('bound_not_enforced: every live bound token a gateway accepted without proof, and no other', async (ctx) => {
      if (!t) return ctx.skip();
      const live = new Set(estate.tokens.filter((x) => x.binding !== 'bearer' && isLive(x, NOW)).map((x) => x.id));
      const want = [...new Set(estate.events.filter((e) => e.verdict === 'bound_not_enforced' && e.tokenId && live.has(e.tokenId)).map((e) => e.tokenId!))].sort();
      expect(want.length).toBeGreaterThan(0);
      expect(await tokenIds('bound_not_enforced')).toEqual(want);
    });

    it('binding_context_stripped: the gateway behind the TLS-terminating balancer, and no other', async (ctx) => {
      if (!t) return ctx.skip();
      const weekAgo = NOW.getTime() - 7 * 24 * HOUR;
      const want = [...new Set(estate.events.filter((e) => e.verdict === 'binding_context_stripped' && e.occurredAt.getTime() > weekAgo).map((e) => e.gateway))];
      expect((await stored('binding_context_stripped')).map((r) => r.evidence.gateway)).toEqual(want);
    });

    it('offboarding: every decommissioned or orphaned identity with a live credential, and no other', async (ctx) => {
      if (!t) return ctx.skip();
      const want = estate.identities
        .filter((i) => i.status === 'decommissioned' || i.ownerStatus === 'departed')
        .filter((i) => estate.tokens.some((x) => x.identityId === i.id && isLive(x, NOW)) || estate.certificates.some((c) => c.identityId === i.id && isCertLive(c, NOW)))
        .map((i) => i.id)
        .sort();
      expect((await stored('offboarding')).map((r) => r.identityId).sort()).toEqual(want);
    });

    it('unbound_high_risk: only live bearer tokens, every privileged one included; the summary KPI and the risk=high filter agree', async (ctx) => {
      if (!t) return ctx.skip();
      const flagged = new Set(await tokenIds('unbound_high_risk'));
      for (const x of estate.tokens) {
        if (x.binding !== 'bearer' || !isLive(x, NOW)) expect(flagged.has(x.id)).toBe(false);
        else if (x.privileged) expect(flagged.has(x.id)).toBe(true);
      }
      const s = await getSummary(t.db);
      const [f] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Token" t WHERE ${UNBOUND_HIGH_RISK_SQL}`);
      expect(s.tokens.unboundHighRisk).toBe(flagged.size);
      expect(f!.n).toBe(flagged.size);
      expect(s.findings.unbound_high_risk).toBe(flagged.size);
    });

    it('acknowledging hides a finding from the open queue until the acknowledgement expires, then reopens it', async (ctx) => {
      if (!t) return ctx.skip();
      const [f] = await t.db.query<{ id: string }>(`SELECT id::text FROM "Finding" WHERE rule = 'ttl_over_policy' AND status = 'open' ORDER BY "dedupeKey" LIMIT 1`);
      const until = new Date(NOW.getTime() + 24 * HOUR);
      const r = await acknowledgeFindings(t.db, { ids: [f!.id, '00000000-0000-4000-8000-000000000000'], reason: 'migrating next sprint', until, actor: 'user:analyst@example.com', now: NOW });
      expect(r.acknowledged).toEqual([f!.id]);
      expect(r.skipped).toEqual(['00000000-0000-4000-8000-000000000000']);
      const status = async () => (await t!.db.query<{ status: string }>(`SELECT status FROM "Finding" WHERE id = $1`, [f!.id]))[0]!.status;
      expect(await status()).toBe('acknowledged');
      await evaluateFindings(t.db, { now: new Date(NOW.getTime() + HOUR), actor: 'test' });
      expect(await status()).toBe('acknowledged');
      await evaluateFindings(t.db, { now: new Date(until.getTime() + HOUR), actor: 'test' });
      expect(await status()).toBe('open');
      const hist = await t.db.query<{ action: string; actor: string }>(`SELECT action, actor FROM "FindingHistory" WHERE "findingId" = $1 ORDER BY at, id`, [f!.id]);
      expect(hist.map((h) => h.action)).toEqual(['opened', 'acknowledged', 'ack_expired', 'reopened']);
      expect(hist[1]!.actor).toBe('user:analyst@example.com');
      await expect(acknowledgeFindings(t.db, { ids: [f!.id], reason: 'x', until, actor: 'a', now: NOW })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(acknowledgeFindings(t.db, { ids: [f!.id], reason: 'past', until: NOW, actor: 'a', now: NOW })).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('resolves findings whose evidence disappears (an exposed bearer token revoked) and records it', async (ctx) => {
      if (!t) return ctx.skip();
      const [tok] = await t.db.query<{ id: string }>(
        `SELECT "tokenId"::text AS id FROM "Finding" WHERE rule = 'exposed_active' AND status = 'open' ORDER BY "dedupeKey" LIMIT 1`,
      );
      const later = new Date(NOW.getTime() + 2 * HOUR);
      await t.db.query(`UPDATE "Token" SET status = 'revoked', "revokedAt" = $2 WHERE id = $1`, [tok!.id, later.toISOString()]);
      const r = await evaluateFindings(t.db, { now: new Date(later.getTime() + 1000), actor: 'test' });
      expect(r.resolved).toBeGreaterThan(0);
      const rows = await t.db.query<{ rule: string; status: string }>(`SELECT rule, status FROM "Finding" WHERE "tokenId" = $1 ORDER BY rule`, [tok!.id]);
      for (const row of rows.filter((x) => ['exposed_active', 'unbound_high_risk', 'ttl_over_policy'].includes(x.rule))) expect(row.status).toBe('resolved');
      const [h] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "FindingHistory" h JOIN "Finding" f ON f.id = h."findingId" WHERE f."tokenId" = $1 AND h.action = 'resolved'`,
        [tok!.id],
      );
      expect(h!.n).toBeGreaterThan(0);
    });

    it('stores a valid policy (and re-evaluates with it), refuses an invalid one', async (ctx) => {
      if (!t) return ctx.skip();
      await expect(savePolicy(t.db, { policy: { ttl: { agentSeconds: -1 } }, actor: 'admin' })).rejects.toMatchObject({ code: 'validation_failed' });
      const later = new Date(NOW.getTime() + 3 * HOUR);
      const r = await savePolicy(t.db, { policy: { ttl: { absoluteSeconds: 10 * 365 * 86_400 } }, actor: 'admin', now: later });
      expect((await loadPolicy(t.db)).ttl.absoluteSeconds).toBe(10 * 365 * 86_400);
      expect(r.evaluation.evaluatedAt).toBe(later.toISOString());
    });
  });
}
