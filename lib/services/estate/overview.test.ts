// The Overview follows its time window: trends compare the estate at the window's end with the
// estate at its start, and the chart series count what happened inside the window only - by day
// for long windows, by hour for windows up to 48 h.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verdictCodeListSql } from '../../domain/verdict-codes.ts';
import { BINDING_FAILURE_VERDICTS } from '../../risk/index.ts';
import { generateDemoEstate } from '../../seed/demo-estate.ts';
import { writeEstate } from '../../seed/write-estate.ts';
import { openTestDatabase, type TestDatabase } from '../../testing/databases.ts';
import { getOverview } from './overview.ts';

const NOW = new Date('2026-11-22T08:00:00.000Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

let t: TestDatabase;
beforeAll(async () => {
  t = await openTestDatabase('pglite');
  await writeEstate(t.db, generateDemoEstate({ seed: 11, now: NOW, identities: 30, tokens: 300, events: 4000 }));
}, 120_000);
afterAll(async () => {
  await t?.drop();
});

/** Binding failures in (from, to], counted one by one from the kept requests. */
async function failuresBetween(from: Date, to: Date): Promise<number> {
  const [r] = await t.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "evidence"."Notable"
      WHERE "verdict" IN ${verdictCodeListSql(BINDING_FAILURE_VERDICTS)} AND "occurredAt" > $1::timestamptz AND "occurredAt" <= $2::timestamptz`,
    [from.toISOString(), to.toISOString()],
  );
  return Number(r!.n);
}

/** Tokens known at `at` (first seen by then). */
async function tokensKnownAt(at: Date): Promise<number> {
  const [r] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Token" WHERE "firstSeenAt" <= $1::timestamptz`, [at.toISOString()]);
  return Number(r!.n);
}

const sum = (rows: { n: number }[]) => rows.reduce((a, r) => a + r.n, 0);

/** The trend at `at`, each figure counted on its own from "Token" and "Finding". */
async function oracle(at: Date) {
  const live = (x: string) => `(${x}."revokedAt" IS NULL OR ${x}."revokedAt" > $1::timestamptz) AND (${x}."expiresAt" IS NULL OR ${x}."expiresAt" > $1::timestamptz)`;
  const [r] = await t.db.query<Record<string, number>>(
    `SELECT count(*)::int AS tokens, count(*) FILTER (WHERE binding = 'bearer')::int AS bearer, count(*) FILTER (WHERE binding = 'mtls')::int AS mtls,
            count(*) FILTER (WHERE binding = 'dpop')::int AS dpop,
            (SELECT count(*) FROM "Finding" f JOIN "Token" lt ON lt.id = f."tokenId"
              WHERE f.rule = 'unbound_high_risk' AND (f.status <> 'resolved' OR f."resolvedAt" > $1::timestamptz) AND lt."firstSeenAt" <= $1::timestamptz AND ${live('lt')})::int AS uhr,
            count(*) FILTER (WHERE ${live('t')} AND exposure = 'exposed')::int AS exposed,
            coalesce(sum(CASE WHEN privileged THEN 3 ELSE 1 END) FILTER (WHERE ${live('t')} AND binding <> 'bearer'), 0)::float8
              / greatest(coalesce(sum(CASE WHEN privileged THEN 3 ELSE 1 END) FILTER (WHERE ${live('t')}), 0), 1) AS wpct
       FROM "Token" t WHERE "firstSeenAt" <= $1::timestamptz`,
    [at.toISOString()],
  );
  return {
    tokens: r!.tokens, bearer: r!.bearer, mtls: r!.mtls, dpop: r!.dpop, unboundHighRisk: r!.uhr, exposedActive: r!.exposed,
    weightedConstrainedPct: Math.round(Number(r!.wpct) * 1000) / 10,
  };
}

describe('getOverview over a window', () => {
  it('answers both trends and the TTL chart as each figure counted on its own', async () => {
    // Revoke, expose and resolve some tokens and findings at known instants, so that "then" and
    // "now" differ in every figure.
    await t.db.query(`UPDATE "Token" SET "revokedAt" = $1::timestamptz, status = 'revoked' WHERE id IN (SELECT id FROM "Token" ORDER BY id LIMIT 15)`, [ago(3 * DAY).toISOString()]);
    await t.db.query(`UPDATE "Token" SET exposure = 'exposed' WHERE id IN (SELECT id FROM "Token" ORDER BY id DESC LIMIT 12)`);
    await t.db.query(
      `INSERT INTO "Finding" ("dedupeKey", rule, severity, "identityId", "tokenId", title, explanation, recommendation, "blastRadius", "lastSeenAt", status, "resolvedAt")
       SELECT 'unbound_high_risk:oracle:' || t.id, 'unbound_high_risk', 'high', t."identityId", t.id, 't', 'e', 'r', 1, $1::timestamptz,
              CASE WHEN row_number() OVER (ORDER BY t.id) % 3 = 0 THEN 'resolved' ELSE 'open' END,
              CASE WHEN row_number() OVER (ORDER BY t.id) % 3 = 0 THEN $2::timestamptz END
         FROM "Token" t WHERE t.binding = 'bearer' ORDER BY t.id LIMIT 40`,
      [NOW.toISOString(), ago(2 * DAY).toISOString()],
    );
    const o = await getOverview(t.db, { from: ago(7 * DAY), to: NOW });
    const [atNow, atThen] = [await oracle(NOW), await oracle(ago(7 * DAY))];
    expect(o.now).toEqual(atNow);
    expect(o.then).toEqual(atThen);
    // The edits above make the two instants differ where each figure can.
    expect(atNow.unboundHighRisk).not.toBe(atThen.unboundHighRisk);
    expect(atNow.exposedActive).toBeGreaterThan(0);
    const ttl = await t.db.query<{ b: number; binding: string; n: number }>(
      `SELECT CASE WHEN "ttlSeconds" IS NULL AND "expiresAt" IS NULL THEN 5 WHEN "ttlSeconds" < 3600 THEN 0 WHEN "ttlSeconds" < 86400 THEN 1 WHEN "ttlSeconds" < 604800 THEN 2
                   WHEN "ttlSeconds" < 7776000 THEN 3 WHEN "ttlSeconds" IS NOT NULL THEN 4 ELSE -1 END AS b, binding::text AS binding, count(*)::int AS n
         FROM "Token" WHERE status = 'active' GROUP BY 1, 2`,
    );
    const expected = o.ttl.map((b) => ({ bucket: b.bucket, bearer: 0, mtls: 0, dpop: 0 }));
    for (const r of ttl) if (expected[r.b] && r.binding !== 'unknown') expected[r.b]![r.binding as 'bearer'] += r.n;
    expect(o.ttl.map(({ bucket, bearer, mtls, dpop }) => ({ bucket, bearer, mtls, dpop }))).toEqual(expected);
    expect(o.ttl.reduce((a, b) => a + b.bearer + b.mtls + b.dpop, 0)).toBeGreaterThan(0);
  });

  it('counts the tokens that start and end within the hours of its instants exactly, at any minute', async () => {
    // The trends sum whole hours kept by triggers and count each instant's own hour from "Token":
    // tokens first seen, revoked and expiring in that hour, before, at and after the instant, one
    // seen after its expiry, and one whose only end is a revocation.
    const end = new Date(NOW.getTime() - (2 * 3600 + 17 * 60 + 13) * 1000 - 250);
    const start = new Date(end.getTime() - 3 * DAY - (5 * 3600 + 11 * 60) * 1000);
    const edits: [string, number][] = [
      ['"firstSeenAt" = $1::timestamptz - interval \'10 minutes\'', 5],
      ['"firstSeenAt" = $1::timestamptz', 3],
      ['"firstSeenAt" = $1::timestamptz + interval \'5 minutes\'', 4],
      ['"firstSeenAt" = $1::timestamptz - interval \'15 minutes\', "expiresAt" = $1::timestamptz - interval \'1 minute\'', 3],
      ['"firstSeenAt" = $1::timestamptz - interval \'15 minutes\', "expiresAt" = $1::timestamptz', 2],
      ['"firstSeenAt" = $1::timestamptz - interval \'15 minutes\', "expiresAt" = $1::timestamptz + interval \'1 minute\'', 3],
      ['"revokedAt" = $1::timestamptz - interval \'3 minutes\', "expiresAt" = NULL, "ttlSeconds" = NULL, status = \'revoked\'', 4],
      ['"revokedAt" = $1::timestamptz + interval \'3 minutes\', status = \'revoked\'', 2],
      ['"firstSeenAt" = $1::timestamptz - interval \'2 minutes\', "expiresAt" = $1::timestamptz - interval \'1 hour\'', 2],
    ];
    let offset = 100;
    for (const at of [end, start]) {
      for (const [set, n] of edits) {
        await t.db.query(`UPDATE "Token" SET ${set} WHERE id IN (SELECT id FROM "Token" ORDER BY fingerprint OFFSET ${offset} LIMIT ${n})`, [at.toISOString()]);
        offset += n;
      }
    }
    const o = await getOverview(t.db, { from: start, to: end });
    expect(o.now).toEqual(await oracle(end));
    expect(o.then).toEqual(await oracle(start));
    // A minute either side of each instant the figures differ: the tokens of the instant's own hour count.
    for (const at of [end, start]) {
      const [before, after] = [new Date(at.getTime() - 60_000), new Date(at.getTime() + 60_000)];
      const around = await getOverview(t.db, { from: before, to: after });
      expect(around.then).toEqual(await oracle(before));
      expect(around.now).toEqual(await oracle(after));
      expect(around.now.tokens).toBeGreaterThan(around.then.tokens);
    }
  });

  it('counts failures inside an absolute window only, by day, and compares its end with its start', async () => {
    const from = ago(20 * DAY);
    const to = ago(10 * DAY);
    const o = await getOverview(t.db, { from, to });
    expect(o.window).toEqual({ from: from.toISOString(), to: to.toISOString(), bucket: 'day' });
    // The estate has failures after the window too: a window ignored would count them.
    expect(await failuresBetween(to, NOW)).toBeGreaterThan(0);
    expect(sum(o.failuresOverTime)).toBe(await failuresBetween(from, to));
    expect(sum(o.failuresOverTime)).toBeGreaterThan(0);
    for (const r of [...o.failuresOverTime, ...o.bindingMix]) {
      expect(r.start >= '2026-11-02T00:00:00.000Z' && r.start <= '2026-11-12T00:00:00.000Z', r.start).toBe(true);
    }
    // "then" is the estate at the window's start, "now" at its end - not at the clock's now.
    expect(o.then.tokens).toBe(await tokensKnownAt(from));
    expect(o.now.tokens).toBe(await tokensKnownAt(to));
    expect(o.now.tokens).toBeLessThan(await tokensKnownAt(NOW));
    expect(o.failures24h).toBe(await failuresBetween(new Date(to.getTime() - DAY), to));
    expect(o.since24h).toBe(new Date(to.getTime() - DAY).toISOString());
  });

  it('takes its start as the trends\' "then": 30 days back is not 7 days back', async () => {
    const week = await getOverview(t.db, { from: ago(7 * DAY), to: NOW });
    const month = await getOverview(t.db, { from: ago(30 * DAY), to: NOW });
    expect(week.now).toEqual(month.now);
    expect(week.then.tokens).toBe(await tokensKnownAt(ago(7 * DAY)));
    expect(month.then.tokens).toBe(await tokensKnownAt(ago(30 * DAY)));
    expect(month.then.tokens).toBeLessThan(week.then.tokens);
    expect(sum(month.failuresOverTime)).toBe(await failuresBetween(ago(30 * DAY), NOW));
    expect(sum(month.failuresOverTime)).toBeGreaterThan(sum(week.failuresOverTime));
    expect(new Set(month.bindingMix.map((r) => r.start)).size).toBeGreaterThan(new Set(week.bindingMix.map((r) => r.start)).size);
  });

  it('charts windows up to 48 h by hour, and a 15-minute window as the hours it touches', async () => {
    const day = await getOverview(t.db, { from: ago(DAY), to: NOW });
    expect(day.window.bucket).toBe('hour');
    expect(sum(day.failuresOverTime)).toBe(await failuresBetween(ago(DAY), NOW));
    for (const r of [...day.failuresOverTime, ...day.bindingMix]) expect(r.start.slice(14)).toBe('00:00.000Z');
    expect(new Set(day.bindingMix.map((r) => r.start)).size).toBeGreaterThan(2);

    const end = new Date('2026-11-22T07:10:00.000Z');
    const quarter = await getOverview(t.db, { from: new Date(end.getTime() - 15 * 60_000), to: end });
    expect(quarter.window.bucket).toBe('hour');
    expect(quarter.bindingMix.every((r) => ['2026-11-22T06:00:00.000Z', '2026-11-22T07:00:00.000Z'].includes(r.start))).toBe(true);
    expect(sum(quarter.failuresOverTime)).toBe(await failuresBetween(new Date(end.getTime() - 15 * 60_000), end));
  });

  it('rejects a window that starts after it ends, with the bad_request code', async () => {
    await expect(getOverview(t.db, { from: NOW, to: ago(DAY) })).rejects.toMatchObject({ code: 'bad_request' });
  });
});
