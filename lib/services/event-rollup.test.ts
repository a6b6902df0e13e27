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
    `SELECT to_char("hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, verdict, "count"::text AS n
       FROM "EventRollup" ORDER BY 1, 2`,
  );
  expect(rollup).toEqual(exact);
  return exact.length;
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

    const batch = Array.from({ length: 90 }, (_, i) => line(i)).join('\n') + '\n';
    const first = await ingestStream(t.db, [batch], { format: 'nginx-json', sourceName: 'rollup-edge', actor: 'test', now: () => NOW });
    expect(first.accepted).toBe(60); // 60 distinct request ids (i and i+60 share a key)
    await expectRollupExact(t.db);
    expect(await expectReadsExact(t.db)).toBe(6060);

    const again = await ingestStream(t.db, [batch], { format: 'nginx-json', sourceName: 'rollup-edge', actor: 'test', now: () => NOW });
    expect(again.accepted).toBe(0);
    await expectRollupExact(t.db);
    expect(await expectReadsExact(t.db)).toBe(6060);

    await t.db.query(`DELETE FROM "BindingEvent" WHERE "occurredAt" > $1::timestamptz - interval '2 days' AND id % 3 = 0`, [NOW.toISOString()]);
    await expectRollupExact(t.db);
    await expectReadsExact(t.db);

    // The migration's backfill rebuilds the same rows from the events of an existing database.
    const migration = await readFile(new URL('../../prisma/migrations/20261122101731_event_rollup/migration.sql', import.meta.url), 'utf8');
    const backfill = migration.slice(migration.indexOf('-- Backfill'));
    await t.db.query(`DELETE FROM "EventRollup"`);
    await t.db.query(backfill.replace(/;\s*$/, ''));
    expect(await expectRollupExact(t.db)).toBeGreaterThan(100);
  }, 120_000);
});
