// The hourly "EventRollup" / "EventBindingRollup" the evidence writer keeps, on both runtimes:
// after seeding, after ingesting a batch and after re-sending it (duplicates not counted twice)
// they equal the hourly usage evidence grouped the same way; the summary and the overview failure
// counts equal the answer counted one by one from the notable requests, including windows whose
// ends fall inside an hour.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERDICTS } from '../domain/types.ts';
import { verdictCodeListSql, verdictNameSql } from '../domain/verdict-codes.ts';
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

const line = (i: number, o: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: `2026-11-22T0${7 + (i % 2)}:${String(i % 60).padStart(2, '0')}:00+00:00`,
    request_id: `rollup-${i % 60}`, remote_addr: '10.0.0.1', method: 'GET', scheme: 'https', host: 'api.example', uri: `/x/${i}`,
    status: i % 3 ? 200 : 401, authz_scheme: i % 3 ? 'Bearer' : 'DPoP', has_dpop: '0', ...o,
  });

/** Verdict name of a stored code, inside SQL. */
const V = (col: string) => verdictNameSql(col);

async function expectRollupExact(db: TestDatabase['db']) {
  // Hourly usage evidence holds every request the writer accepted, at hour resolution: the rollups must sum to it.
  const exact = await db.query<{ hour: string; verdict: string; n: string }>(
    `SELECT to_char("hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, ${V('"verdict"')} AS verdict, sum("count")::text AS n
       FROM "evidence"."Usage" GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const rollup = await db.query<{ hour: string; verdict: string; n: string }>(
    `SELECT to_char("hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, verdict, sum("count")::text AS n
       FROM "EventRollup" GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
  );
  expect(rollup).toEqual(exact);
  // (Token bindings don't change in this test, so the token's binding now is the one at ingest.)
  const exactByBinding = await db.query<{ hour: string; binding: string; n: string }>(
    `SELECT to_char(u."hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, t.binding::text AS binding, sum(u."count")::text AS n
       FROM "evidence"."Usage" u JOIN "Token" t ON t.id = u."tokenId" GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const byBinding = await db.query<{ hour: string; binding: string; n: string }>(
    `SELECT to_char("hour" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24') AS hour, binding, sum("count")::text AS n
       FROM "EventBindingRollup" GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
  );
  expect(byBinding).toEqual(exactByBinding);
  return exact.length;
}

/** ISO start of the UTC hour or day holding `col`, in SQL. */
const startOf = (bucket: 'hour' | 'day', col: string) => `to_char(date_trunc('${bucket}', ${col} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS".000Z"')`;

/** The binding mix per bucket from usage joined to tokens, over whole hours from the one holding the window's start to the one holding its end. */
async function exactMix(db: TestDatabase['db'], now: Date, days: number, bucket: 'hour' | 'day' = 'day') {
  const from = new Date(Math.floor((now.getTime() - days * 86_400_000) / 3_600_000) * 3_600_000);
  const rows = await db.query<{ start: string; binding: string; n: number }>(
    `SELECT ${startOf(bucket, 'u."hour"')} AS start, t.binding::text AS binding, sum(u."count")::int AS n
       FROM "evidence"."Usage" u JOIN "Token" t ON t.id = u."tokenId"
      WHERE u."hour" >= $1::timestamptz AND u."hour" < $2::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [from.toISOString(), now.toISOString()],
  );
  const byStart = new Map<string, { start: string; bearer: number; mtls: number; dpop: number }>();
  for (const r of rows) {
    const d = byStart.get(r.start) ?? { start: r.start, bearer: 0, mtls: 0, dpop: 0 };
    d[r.binding as 'bearer' | 'mtls' | 'dpop'] = Number(r.n);
    byStart.set(r.start, d);
  }
  return [...byStart.values()];
}

/** Failure counts counted one by one from the notable requests (every non-ok request is kept individually). */
async function exactFailures(db: TestDatabase['db'], now: Date, verdicts: readonly string[], days: number) {
  const cond = `"verdict" IN ${verdictCodeListSql(verdicts)}`;
  const [f] = await db.query<{ cur: number; prev: number }>(
    `SELECT count(*) FILTER (WHERE "occurredAt" > $1::timestamptz - interval '24 hours')::int AS cur,
            count(*) FILTER (WHERE "occurredAt" <= $1::timestamptz - interval '24 hours')::int AS prev
       FROM "evidence"."Notable" WHERE ${cond} AND "occurredAt" > $1::timestamptz - interval '48 hours' AND "occurredAt" <= $1::timestamptz`,
    [now.toISOString()],
  );
  const byDay = await db.query<{ day: string; verdict: string; n: number }>(
    `SELECT to_char(date_trunc('day', "occurredAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, ${V('"verdict"')} AS verdict, count(*)::int AS n
       FROM "evidence"."Notable" WHERE ${cond} AND "occurredAt" > $1::timestamptz - make_interval(days => $2::int) AND "occurredAt" <= $1::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [now.toISOString(), days],
  );
  return { cur: f!.cur, prev: f!.prev, byDay: byDay.map((r) => ({ ...r, n: Number(r.n) })) };
}

/** Failures per hour in the 24 h up to `now`, counted one by one from the notable requests. */
async function exactFailuresPerHour(db: TestDatabase['db'], now: Date, verdicts: readonly string[]) {
  const rows = await db.query<{ start: string; verdict: string; n: number }>(
    `SELECT ${startOf('hour', '"occurredAt"')} AS start, ${V('"verdict"')} AS verdict, count(*)::int AS n
       FROM "evidence"."Notable" WHERE "verdict" IN ${verdictCodeListSql(verdicts)} AND "occurredAt" > $1::timestamptz - interval '24 hours' AND "occurredAt" <= $1::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [now.toISOString()],
  );
  return rows.map((r) => ({ ...r, n: Number(r.n) }));
}

async function expectReadsExact(db: TestDatabase['db']) {
  const [{ n }] = (await db.query<{ n: number }>(`SELECT coalesce(sum("count"), 0)::int AS n FROM "evidence"."Usage"`)) as [{ n: number }];
  expect((await getSummary(db)).events).toBe(n);
  // On an hour boundary and inside hours (partial end hours come from the notable requests).
  for (const now of [NOW, new Date('2026-11-22T07:37:12.345Z'), new Date('2026-11-21T23:00:00.001Z')]) {
    const ov = await getOverview(db, { from: new Date(now.getTime() - 14 * 86_400_000), to: now });
    expect(ov.bindingMix).toEqual(await exactMix(db, now, 14));
    const ex = await exactFailures(db, now, BINDING_FAILURE_VERDICTS, 14);
    const byStart = ex.byDay.map(({ day, ...r }) => ({ start: `${day}T00:00:00.000Z`, ...r }));
    expect({ cur: ov.failures24h, prev: ov.failuresPrev24h, byStart: ov.failuresOverTime }).toEqual({ cur: ex.cur, prev: ex.prev, byStart });
    // A window of a day is charted by hour, from the same rollups.
    const day = await getOverview(db, { from: new Date(now.getTime() - 86_400_000), to: now });
    expect(day.window.bucket).toBe('hour');
    expect(day.bindingMix).toEqual(await exactMix(db, now, 1, 'hour'));
    expect(day.failuresOverTime).toEqual(await exactFailuresPerHour(db, now, BINDING_FAILURE_VERDICTS));
    const st = await getOverviewStats(db, now.getTime());
    const ex2 = await exactFailures(db, now, VERDICTS.filter((v) => v !== 'ok'), 14);
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

  it.skipIf(skip)('equals the exact counts after seeding, ingesting and re-sending; stripes fold without changing a figure', async () => {
    await writeEstate(t.db, generateDemoEstate({ seed: 7, now: NOW, identities: 40, tokens: 400, events: 6000 }));
    expect(await expectRollupExact(t.db)).toBeGreaterThan(100);
    expect(await expectReadsExact(t.db)).toBe(6000);

    // Half the lines carry a known token's fingerprint: their requests count under its binding.
    const [tok] = await t.db.query<{ fingerprint: string; binding: string }>(`SELECT fingerprint, binding::text AS binding FROM "Token" WHERE binding = 'mtls' LIMIT 1`);
    const batch = Array.from({ length: 90 }, (_, i) => line(i, i % 2 ? { token_fingerprint: tok!.fingerprint } : {})).join('\n') + '\n';
    const first = await ingestStream(t.db, [batch], { format: 'nginx-json', sourceName: 'rollup-edge', actor: 'test', now: () => NOW });
    expect(first.accepted).toBe(60); // 60 distinct request ids (i and i+60 share a key)
    const [bound] = await t.db.query<{ n: number }>(`SELECT sum(n)::int AS n FROM (SELECT sum("count") AS n FROM "EventBindingRollup" WHERE binding = 'mtls' AND "hour" >= '2026-11-22T07:00:00Z') x`);
    const [boundBefore] = await t.db.query<{ n: number }>(
      `SELECT coalesce(sum(u."count"), 0)::int AS n FROM "evidence"."Usage" u JOIN "Token" t ON t.id = u."tokenId" WHERE t.binding = 'mtls' AND u."hour" >= '2026-11-22T07:00:00Z' AND t.fingerprint <> $1`,
      [tok!.fingerprint],
    );
    expect(bound!.n - boundBefore!.n).toBe(30);
    await expectRollupExact(t.db);
    expect(await expectReadsExact(t.db)).toBe(6060);

    const again = await ingestStream(t.db, [batch], { format: 'nginx-json', sourceName: 'rollup-edge', actor: 'test', now: () => NOW });
    expect(again.accepted).toBe(0);
    await expectRollupExact(t.db);
    expect(await expectReadsExact(t.db)).toBe(6060);

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
  }, 120_000);
});
