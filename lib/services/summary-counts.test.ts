// The trigger-kept "TokenCount" and "FindingCount" on both runtimes: after seeding, after ingesting introspection
// records (new tokens: INSERT path), after re-ingesting them with other bindings and statuses
// (INSERT … ON CONFLICT DO UPDATE: the UPDATE path), after re-sending unchanged records (no
// change), after plain UPDATEs of status / exposure / privileged, deletes (direct and cascaded
// from an identity) and TRUNCATE they equal count(*) over "Token" / "Finding" grouped the same
// way (findings written by the real engine: opened, resolved, cascaded away with their tokens),
// and the summary's token and finding figures equal the exact counts. The migrations' backfills
// rebuild the same rows. "TokenTimeline" (the Overview's tokens first seen and ended per hour) is
// checked the same way against its edges recomputed from "Token".
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoEstate } from '../seed/demo-estate.ts';
import { writeEstate } from '../seed/write-estate.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { evaluateFindings } from './findings/evaluate.ts';
import { ingestStream } from './ingest/pipeline.ts';
import { getSummary } from './summary.ts';

const NOW = new Date('2026-11-22T08:00:00.000Z');
const pgUp = await postgresAvailable();
const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

async function expectCountsExact(db: TestDatabase['db']): Promise<number> {
  const exact = await db.query<{ k: string; n: string }>(
    `SELECT concat_ws('/', binding, status, exposure, privileged) AS k, count(*)::text AS n FROM "Token" GROUP BY 1 ORDER BY 1`,
  );
  const kept = await db.query<{ k: string; n: string }>(
    `SELECT concat_ws('/', binding, status, exposure, privileged) AS k, "count"::text AS n FROM "TokenCount" WHERE "count" <> 0 ORDER BY 1`,
  );
  expect(kept).toEqual(exact);
  const [neg] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "TokenCount" WHERE "count" < 0`);
  expect(neg!.n).toBe(0);
  // Every token starts in the UTC hour it was first seen, and ends in the hour of the earlier of its
  // revocation and expiry (not before it was first seen); a token with neither never ends.
  const hourKey = (col: string) => `to_char(date_trunc('hour', ${col} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24')`;
  const cls = `binding, CASE WHEN "ttlSeconds" IS NULL AND "expiresAt" IS NULL THEN 5 WHEN "ttlSeconds" < 3600 THEN 0 WHEN "ttlSeconds" < 86400 THEN 1
                 WHEN "ttlSeconds" < 604800 THEN 2 WHEN "ttlSeconds" < 7776000 THEN 3 WHEN "ttlSeconds" IS NOT NULL THEN 4 ELSE -1 END,
               exposure = 'exposed', privileged, status = 'active'`;
  const edges = await db.query<{ k: string; n: string }>(
    `SELECT k, count(*)::text AS n FROM (
       SELECT concat_ws('/', ${cls}, 0, ${hourKey('"firstSeenAt"')}) AS k FROM "Token"
       UNION ALL
       SELECT concat_ws('/', ${cls}, 1, ${hourKey('CASE WHEN e < "firstSeenAt" THEN "firstSeenAt" ELSE e END')}) AS k
         FROM (SELECT *, CASE WHEN "revokedAt" IS NULL THEN "expiresAt" WHEN "expiresAt" IS NULL OR "revokedAt" < "expiresAt" THEN "revokedAt" ELSE "expiresAt" END AS e
                 FROM "Token") t WHERE e IS NOT NULL
     ) x GROUP BY k`,
  );
  const timeline = await db.query<{ k: string; n: string }>(
    `SELECT concat_ws('/', binding, "ttlBucket", exposed, privileged, active, edge, ${hourKey('"hour"')}) AS k, "count"::text AS n
       FROM "TokenTimeline" WHERE "count" <> 0`,
  );
  const byKey = (a: { k: string }, b: { k: string }) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);
  expect(timeline.sort(byKey)).toEqual(edges.sort(byKey));
  const [negT] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "TokenTimeline" WHERE "count" < 0`);
  expect(negT!.n).toBe(0);
  const [e] = await db.query<{ total: number; bearer: number; mtls: number; dpop: number; exposed: number }>(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE binding = 'bearer')::int AS bearer, count(*) FILTER (WHERE binding = 'mtls')::int AS mtls,
            count(*) FILTER (WHERE binding = 'dpop')::int AS dpop, count(*) FILTER (WHERE exposure = 'exposed' AND status = 'active')::int AS exposed FROM "Token"`,
  );
  const summary = await getSummary(db);
  const s = summary.tokens;
  expect({ total: s.total, bearer: s.bearer, mtls: s.mtls, dpop: s.dpop, exposed: s.exposedActive }).toEqual(e);

  const exactF = await db.query<{ k: string; n: string }>(
    `SELECT concat_ws('/', rule, status, "tokenId" IS NOT NULL) AS k, count(*)::text AS n FROM "Finding" GROUP BY 1 ORDER BY 1`,
  );
  const keptF = await db.query<{ k: string; n: string }>(
    `SELECT concat_ws('/', rule, status, "onToken") AS k, "count"::text AS n FROM "FindingCount" WHERE "count" <> 0 ORDER BY 1`,
  );
  expect(keptF).toEqual(exactF);
  const [negF] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "FindingCount" WHERE "count" < 0`);
  expect(negF!.n).toBe(0);
  const byRule = await db.query<{ rule: string; n: number }>(`SELECT rule, count(*)::int AS n FROM "Finding" WHERE status <> 'resolved' GROUP BY 1 ORDER BY 1`);
  expect(summary.findings).toEqual(Object.fromEntries(byRule.map((r) => [r.rule, r.n])));
  const [uhr] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "Finding" WHERE rule = 'unbound_high_risk' AND status <> 'resolved' AND "tokenId" IS NOT NULL`,
  );
  expect(s.unboundHighRisk).toBe(uhr!.n);
  return e!.total;
}

const evaluate = (db: TestDatabase['db']) => evaluateFindings(db, { now: NOW, actor: 'test' });

const record = (i: number, o: Record<string, unknown> = {}) =>
  JSON.stringify({ active: true, iss: 'https://as.count.example', jti: `count-${i}`, client_id: `count-client-${i % 3}`, scope: 'orders:read', exp: 1_900_000_000, iat: 1_763_798_400, ...o });

const ingest = (db: TestDatabase['db'], lines: string[]) =>
  ingestStream(db, [lines.join('\n') + '\n'], { format: 'introspection', actor: 'test', now: () => NOW });

describe.each(RUNTIMES)('summary counters on %s', (runtime) => {
  const skip = runtime === 'postgres' && !pgUp;
  let t: TestDatabase;
  beforeAll(async () => {
    if (skip) return;
    t = await openTestDatabase(runtime);
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  it.skipIf(skip)('equal count(*) over Token and Finding through inserts, upserts, updates, deletes and truncate', async () => {
    await writeEstate(t.db, generateDemoEstate({ seed: 11, now: NOW, identities: 30, tokens: 300, events: 500 }));
    const seeded = await expectCountsExact(t.db);
    expect(seeded).toBeGreaterThan(200);
    expect((await t.db.query(`SELECT 1 FROM "TokenTimeline" WHERE edge = 1 AND "count" > 0`)).length).toBeGreaterThan(0);
    await evaluate(t.db);
    await expectCountsExact(t.db);
    const [open] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Finding" WHERE status = 'open'`);
    expect(open!.n).toBeGreaterThan(10);

    // New tokens (all bearer: no cnf).
    const first = await ingest(t.db, Array.from({ length: 30 }, (_, i) => record(i)));
    expect(first.accepted).toBe(30);
    expect(await expectCountsExact(t.db)).toBe(seeded + 30);

    // The same tokens again through the upsert: some now DPoP-bound, some inactive, some unchanged,
    // plus new ones in the same statement (INSERT and UPDATE paths of one ON CONFLICT statement).
    const second = Array.from({ length: 40 }, (_, i) =>
      i < 10 ? record(i, { cnf: { jkt: JKT } }) : i < 15 ? JSON.stringify({ active: false, iss: 'https://as.count.example', jti: `count-${i}`, client_id: `count-client-${i % 3}` }) : record(i),
    );
    await ingest(t.db, second);
    expect(await expectCountsExact(t.db)).toBe(seeded + 40);
    const [moved] = await t.db.query<{ dpop: number; inactive: number }>(
      `SELECT count(*) FILTER (WHERE binding = 'dpop')::int AS dpop, count(*) FILTER (WHERE status <> 'active')::int AS inactive FROM "Token" WHERE jti LIKE 'count-%'`,
    );
    expect(moved).toEqual({ dpop: 10, inactive: 5 });

    // Re-sent unchanged: nothing moves.
    const before = await t.db.query(`SELECT * FROM "TokenCount" ORDER BY 1, 2, 3, 4`);
    await ingest(t.db, second);
    expect(await t.db.query(`SELECT * FROM "TokenCount" ORDER BY 1, 2, 3, 4`)).toEqual(before);

    // Plain updates of each counted column, one statement touching many keys at once.
    await t.db.query(`UPDATE "Token" SET exposure = 'exposed' WHERE jti LIKE 'count-1%' OR id IN (SELECT id FROM "Token" ORDER BY id LIMIT 7)`);
    await t.db.query(`UPDATE "Token" SET status = 'revoked', "revokedAt" = now() WHERE binding = 'bearer' AND exposure = 'exposed'`);
    await t.db.query(`UPDATE "Token" SET privileged = NOT privileged, binding = 'mtls' WHERE id IN (SELECT id FROM "Token" ORDER BY fingerprint LIMIT 20)`);
    await t.db.query(`UPDATE "Token" SET "lastSeenAt" = now()`);
    await expectCountsExact(t.db);
    // The instants the timeline keeps: first seen later, expiry moved, revoked before first seen,
    // expiry and revocation cleared (a token that never ends).
    await t.db.query(`UPDATE "Token" SET "firstSeenAt" = "firstSeenAt" + interval '5 hours 7 minutes' WHERE id IN (SELECT id FROM "Token" ORDER BY id LIMIT 9)`);
    await t.db.query(`UPDATE "Token" SET "expiresAt" = "firstSeenAt" + interval '90 minutes', "ttlSeconds" = 5400 WHERE id IN (SELECT id FROM "Token" ORDER BY id DESC LIMIT 11)`);
    await t.db.query(`UPDATE "Token" SET "revokedAt" = "firstSeenAt" - interval '1 day' WHERE id IN (SELECT id FROM "Token" ORDER BY fingerprint LIMIT 4)`);
    await t.db.query(`UPDATE "Token" SET "revokedAt" = NULL, "expiresAt" = NULL, "ttlSeconds" = NULL WHERE id IN (SELECT id FROM "Token" ORDER BY fingerprint DESC LIMIT 6)`);
    await expectCountsExact(t.db);
    // The engine opens findings for the new bearer tokens and resolves those whose evidence went.
    await evaluate(t.db);
    await expectCountsExact(t.db);
    const [resolved] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Finding" WHERE status = 'resolved'`);
    expect(resolved!.n).toBeGreaterThan(0);
    await t.db.query(`UPDATE "Finding" SET status = 'acknowledged' WHERE id IN (SELECT id FROM "Finding" WHERE status = 'open' ORDER BY id LIMIT 5)`);
    await expectCountsExact(t.db);

    // Deletes: direct, and cascaded from an identity.
    await t.db.query(`DELETE FROM "Token" WHERE id IN (SELECT id FROM "Token" ORDER BY fingerprint DESC LIMIT 25)`);
    await expectCountsExact(t.db);
    await t.db.query(`DELETE FROM "Identity" WHERE id = (SELECT "identityId" FROM "Token" GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)`);
    await expectCountsExact(t.db);

    // The migrations' backfills rebuild the same rows from an existing database.
    for (const [dir, table] of [['20261122113941_token_counts', 'TokenCount'], ['20261122115315_finding_counts', 'FindingCount'], ['20261205160000_token_timeline', 'TokenTimeline']]) {
      const migration = await readFile(new URL(`../../prisma/migrations/${dir}/migration.sql`, import.meta.url), 'utf8');
      const backfill = migration.slice(migration.indexOf('-- Backfill'));
      await t.db.query(`DELETE FROM "${table}"`);
      await t.db.query(backfill.replace(/;\s*$/, ''));
    }
    await expectCountsExact(t.db);
    await t.db.query(`DELETE FROM "Finding" WHERE id IN (SELECT id FROM "Finding" ORDER BY id LIMIT 3)`);
    await expectCountsExact(t.db);

    await t.db.query(`TRUNCATE "Token" CASCADE`);
    expect(await expectCountsExact(t.db)).toBe(0);
    expect(await t.db.query(`SELECT * FROM "TokenCount"`)).toEqual([]);
    expect(await t.db.query(`SELECT * FROM "TokenTimeline"`)).toEqual([]);
    await t.db.query(`TRUNCATE "Finding" CASCADE`);
    expect(await t.db.query(`SELECT * FROM "FindingCount"`)).toEqual([]);
    await ingest(t.db, [record(1), record(2, { cnf: { jkt: JKT } })]);
    await evaluate(t.db);
    expect(await expectCountsExact(t.db)).toBe(2);
  }, 120_000);
});
