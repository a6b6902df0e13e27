// The hourly "EventRollup" on both runtimes: after seeding, after ingesting a batch, after
// re-sending it (duplicates not counted twice) and after deleting events it equals the exact
// count of "BindingEvent" grouped the same way; the summary and the overview failure counts equal
// the exact-count answer, including windows whose ends fall inside an hour.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINDING_FAILURE_VERDICTS } from '../risk/index.ts';
import { generateDemoEstate } from '../seed/demo-estate.ts';
import { writeEstate } from '../seed/write-estate.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { getOverview } from './estate/overview.ts';
import { compactEventRollups } from './event-rollup.ts';
import { ingestStream } from './ingest/pipeline.ts';
import { getOverviewStats, getSummary } from './summary.ts';

const NOW = new Date('2026-11-22T08:00:00.000Z');
const pgUp = await postgresAvailable();
const inList = BINDING_FAILURE_VERDICTS.map((v) => `'${v}'`).join(',');

const line = (i: number, o: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: `2026-11-22T0${7 + (i % 2)}:${String(i % 60).padStart(2, '0')}:00+00:00`,
    request_id: `rollup-${i % 60}`, remote_addr: '10.0.0.1', method: 'GET', scheme: 'https', host: 'api.example', uri: `/x/${i}`,
    status: i % 3 ? 200 : 401, authz_scheme: i % 3 ? 'Bearer' : 'DPoP', has_dpop: '0', ...o,
  });

async function expectRollupExact(db: TestDatabase['db']) {
  const exact = await db.query<{ hour: string; verdict: string; n: string }>(
    `SELECT to_char(date_trunc('hour', "occurredAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24') AS hour, verdict, count(*)::text AS n
       FROM "BindingEvent" GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const rollup = await db.query<{ hour: string; verdict: string; n: string }>(
    `SELECT to_char("hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, verdict, sum("count")::text AS n
       FROM "EventRollup" GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
  );
  expect(rollup).toEqual(exact);
  const exactByBinding = await db.query<{ hour: string; binding: string; n: string }>(
    `SELECT to_char(date_trunc('hour', "occurredAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24') AS hour, binding, count(*)::text AS n
       FROM "BindingEvent" WHERE binding IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const byBinding = await db.query<{ hour: string; binding: string; n: string }>(
    `SELECT to_char("hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, binding, sum("count")::text AS n
       FROM "EventBindingRollup" GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
  );
  expect(byBinding).toEqual(exactByBinding);
  return exact.length;
}

/** The binding mix per day the old way: the window's events joined to their tokens. */
async function exactMix(db: TestDatabase['db'], now: Date, days: number) {
  const rows = await db.query<{ day: string; binding: string; n: number }>(
    `SELECT to_char(date_trunc('day', e."occurredAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, t.binding::text AS binding, count(*)::int AS n
       FROM "BindingEvent" e JOIN "Token" t ON t.id = e."tokenId"
      WHERE e."occurredAt" > $1::timestamptz - make_interval(days => $2::int) AND e."occurredAt" <= $1::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [now.toISOString(), days],
  );
  const byDay = new Map<string, { day: string; bearer: number; mtls: number; dpop: number }>();
  for (const r of rows) {
    const d = byDay.get(r.day) ?? { day: r.day, bearer: 0, mtls: 0, dpop: 0 };
    d[r.binding as 'bearer' | 'mtls' | 'dpop'] = Number(r.n);
    byDay.set(r.day, d);
  }
  return [...byDay.values()];
}

async function exactFailures(db: TestDatabase['db'], now: Date, cond: string, days: number) {
  const [f] = await db.query<{ cur: number; prev: number }>(
    `SELECT count(*) FILTER (WHERE "occurredAt" > $1::timestamptz - interval '24 hours')::int AS cur,
            count(*) FILTER (WHERE "occurredAt" <= $1::timestamptz - interval '24 hours')::int AS prev
       FROM "BindingEvent" WHERE ${cond} AND "occurredAt" > $1::timestamptz - interval '48 hours' AND "occurredAt" <= $1::timestamptz`,
    [now.toISOString()],
  );
  const byDay = await db.query<{ day: string; verdict: string; n: number }>(
    `SELECT to_char(date_trunc('day', "occurredAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, verdict, count(*)::int AS n
       FROM "BindingEvent" WHERE ${cond} AND "occurredAt" > $1::timestamptz - make_interval(days => $2::int) AND "occurredAt" <= $1::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [now.toISOString(), days],
  );
  return { cur: f!.cur, prev: f!.prev, byDay: byDay.map((r) => ({ ...r, n: Number(r.n) })) };
}

async function expectReadsExact(db: TestDatabase['db']) {
  const [{ n }] = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "BindingEvent"`)) as [{ n: number }];
  expect((await getSummary(db)).events).toBe(n);
  // On an hour boundary and inside hours (partial end hours come from the events).
  for (const now of [NOW, new Date('2026-11-22T07:37:12.345Z'), new Date('2026-11-21T23:00:00.001Z')]) {
    const ov = await getOverview(db, { now });
    // (Token bindings don't change in this test, so the join and the ingest-time binding agree.)
    expect(ov.bindingMix).toEqual(await exactMix(db, now, 14));
    const ex = await exactFailures(db, now, `verdict IN (${inList})`, 14);
    expect({ cur: ov.failures24h, prev: ov.failuresPrev24h, byDay: ov.failuresByDay }).toEqual(ex);
    const st = await getOverviewStats(db, now.getTime());
    const ex2 = await exactFailures(db, now, `verdict <> 'ok'`, 14);
    expect({ cur: st.failures24h, prev: st.failuresPrev24h, byDay: st.failuresByDay }).toEqual(ex2);
  }
  return n;
}

describe.each(RUNTIMES)('event rollup on %s', (runtime) => {
  const skip = runtime === 'postgres' && !pgUp;
  let t: TestDatabase;
  beforeAll(async () => {
    if (skip) return;
    t = await openTestDatabase(runtime);
  }, 60_000);
  afterAll(async () => {
    await t?.drop();
  });

  it.skipIf(skip)('equals the exact counts after seeding, ingesting, re-sending and deleting', async () => {
    await writeEstate(t.db, generateDemoEstate({ seed: 7, now: NOW, identities: 40, tokens: 400, events: 6000 }));
    expect(await expectRollupExact(t.db)).toBeGreaterThan(100);
    expect(await expectReadsExact(t.db)).toBe(6000);

    // Half the lines carry a known token's fingerprint: their events record its binding.
    const [tok] = await t.db.query<{ fingerprint: string; binding: string }>(`SELECT fingerprint, binding::text AS binding FROM "Token" WHERE binding = 'mtls' LIMIT 1`);
    const batch = Array.from({ length: 90 }, (_, i) => line(i, i % 2 ? { token_fingerprint: tok!.fingerprint } : {})).join('\n') + '\n';
    const first = await ingestStream(t.db, [batch], { format: 'nginx-json', sourceName: 'rollup-edge', actor: 'test', now: () => NOW });
    expect(first.accepted).toBe(60); // 60 distinct request ids (i and i+60 share a key)
    const [bound] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "BindingEvent" WHERE "requestId" LIKE 'rollup-%' AND binding = 'mtls'`);
    expect(bound!.n).toBe(30);
    await expectRollupExact(t.db);
    expect(await expectReadsExact(t.db)).toBe(6060);

    const again = await ingestStream(t.db, [batch], { format: 'nginx-json', sourceName: 'rollup-edge', actor: 'test', now: () => NOW });
    expect(again.accepted).toBe(0);
    await expectRollupExact(t.db);
    expect(await expectReadsExact(t.db)).toBe(6060);

    await t.db.query(`DELETE FROM "BindingEvent" WHERE "occurredAt" > $1::timestamptz - interval '2 days' AND id % 3 = 0`, [NOW.toISOString()]);
    await expectRollupExact(t.db);
    await expectReadsExact(t.db);

    // Stripes written by other connections (one up, one down by the same amount: same sums) are
    // folded into stripe 0 for past hours; later hours keep theirs; every figure stays exact.
    const [k] = await t.db.query<{ hour: Date; verdict: string }>(`SELECT "hour", verdict FROM "EventRollup" WHERE "hour" < $1::timestamptz ORDER BY 1 LIMIT 1`, [NOW.toISOString()]);
    await t.db.query(`INSERT INTO "EventRollup" ("hour", verdict, stripe, "count") VALUES ($1, $2, 3, 7), ($1, $2, 5, -7), ($3, 'ok', 6, 2), ($3, 'ok', 7, -2)
      ON CONFLICT ("hour", verdict, stripe) DO UPDATE SET "count" = "EventRollup"."count" + excluded."count"`, [k!.hour, k!.verdict, NOW.toISOString()]);
    await compactEventRollups(t.db, NOW);
    expect(await t.db.query(`SELECT 1 FROM "EventRollup" WHERE stripe <> 0 AND "hour" < $1::timestamptz`, [NOW.toISOString()])).toEqual([]);
    expect(await t.db.query(`SELECT 1 FROM "EventBindingRollup" WHERE stripe <> 0 AND "hour" < $1::timestamptz`, [NOW.toISOString()])).toEqual([]);
    expect((await t.db.query(`SELECT stripe FROM "EventRollup" WHERE "hour" = $1::timestamptz AND stripe <> 0 ORDER BY 1`, [NOW.toISOString()])).map((r) => (r as { stripe: number }).stripe)).toEqual(expect.arrayContaining([6, 7]));
    await expectRollupExact(t.db);
    await expectReadsExact(t.db);

    // The migration's backfill rebuilds the same rows from the events of an existing database.
    const migration = await readFile(new URL('../../prisma/migrations/20261122101731_event_rollup/migration.sql', import.meta.url), 'utf8');
    const backfill = migration.slice(migration.indexOf('-- Backfill'));
    await t.db.query(`DELETE FROM "EventRollup"`);
    await t.db.query(backfill.replace(/;\s*$/, ''));
    const bMigration = await readFile(new URL('../../prisma/migrations/20261122122252_event_binding_rollup/migration.sql', import.meta.url), 'utf8');
    const bBackfill = bMigration.slice(bMigration.lastIndexOf('INSERT INTO "EventBindingRollup"'));
    await t.db.query(`DELETE FROM "EventBindingRollup"`);
    await t.db.query(bBackfill.replace(/;\s*$/, ''));
    expect(await expectRollupExact(t.db)).toBeGreaterThan(100);
    await t.db.query(`TRUNCATE "BindingEvent"`);
    expect(await t.db.query(`SELECT * FROM "EventBindingRollup"`)).toEqual([]);
  }, 120_000);
});
