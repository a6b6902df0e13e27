// Data layer of the analyst views and /api/v1 lists on PostgreSQL: p50/p95 of the summary,
// the token list's first and 100th page (unbound high-risk filter, riskiest first; and by id),
// and an identity page — each against the same question answered naively in the same run
// (full-scan counts, OFFSET paging, correlated per-row sort keys, raw events loaded and folded
// in the app). Measures the service functions the pages and routes call (SQL + mapping), not
// React rendering.
//
// Estate generated inside PostgreSQL with INSERT … SELECT FROM generate_series (secondary
// indexes dropped for the bulk load and rebuilt, then ANALYZE): BENCH_VIEWS_TOKENS tokens over
// tokens/100 identities, BENCH_VIEWS_EVENTS events, findings for the privileged bearer tokens
// (unbound_high_risk) and every 5th long-lived token (ttl_over_policy). The default
// (200,000 tokens, 2,000,000 events) keeps `npm run bench` to a few minutes; the target
// scale is
//   BENCH_VIEWS_TOKENS=1000000 BENCH_VIEWS_EVENTS=10000000 npm run bench -- views
// (generation takes several minutes on two cores). BENCH_VIEWS_RUNS (20) timed runs per figure,
// BENCH_VIEWS_BASE_RUNS (10) per naive baseline; BENCH_VIEWS_KEEP=1 keeps the database afterwards.
import { getOverview } from '../lib/services/estate/overview.ts';
import type { Database } from '../lib/db/open.ts';
import { getIdentityDetail } from '../lib/services/estate/details.ts';
import { listTokens, parseTokenFilters } from '../lib/services/estate/lists.ts';
import { REFRESH_TOKEN_RISK_SQL } from '../lib/services/findings/evaluate.ts';
import { getSummary, UNBOUND_HIGH_RISK_SQL } from '../lib/services/summary.ts';
import { openTestDatabase, postgresAvailable } from '../lib/testing/databases.ts';
import type { BenchResult } from './types.ts';

const TOKENS = Number(process.env.BENCH_VIEWS_TOKENS ?? 200_000);
const EVENTS = Number(process.env.BENCH_VIEWS_EVENTS ?? 2_000_000);
const RUNS = Number(process.env.BENCH_VIEWS_RUNS ?? 20);
// The naive baselines take seconds each at full scale: fewer runs (p95 of 10 = the slowest but one).
const BASE_RUNS = Number(process.env.BENCH_VIEWS_BASE_RUNS ?? 10);

type Exec = (sql: string, params?: unknown[]) => Promise<unknown>;

/** Drops a table's secondary indexes (not constraint-backed ones), runs `fill`, rebuilds them: one
 * sorted build per index instead of 10M incremental inserts into each. Same definitions after. */
async function withIndexesRebuilt(exec: Exec, q: <T>(sql: string) => Promise<T[]>, table: string, fill: () => Promise<void>): Promise<void> {
  const defs = await q<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = '${table}'
        AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = '"${table}"'::regclass)`,
  );
  for (const d of defs) await exec(`DROP INDEX "${d.name}"`);
  await fill();
  for (const d of defs) await exec(d.def);
}

export async function generate(db: Database, tokens = TOKENS, events = EVENTS): Promise<void> {
  // One session for the whole build (temp tables, session settings).
  const client = await db.pool!.connect();
  const exec: Exec = (sql, params) => client.query(sql, params as unknown[]);
  const q = async <T>(sql: string) => (await client.query(sql)).rows as T[];
  try {
    await exec(`SET synchronous_commit = off`);
    await exec(`SET maintenance_work_mem = '512MB'`);
    await exec(`SET work_mem = '128MB'`);
    const identities = Math.max(10, Math.floor(tokens / 100));
    await exec(
      `INSERT INTO "Identity" (name, kind, owner, transport)
       SELECT 'bench-' || g, (ARRAY['service','workload','pipeline','agent','partner'])[1 + g % 5], 'team-' || (g % 40),
              (ARRAY['mesh','private_link','public','unknown'])[1 + g % 4]
         FROM generate_series(1, $1::int) g`,
      [identities],
    );
    await exec(`CREATE TEMP TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id FROM "Identity"`);
    // Bindings 55 % bearer / 25 % mTLS / 20 % DPoP; 1 in 7 privileged; 2 % revoked; 1 in 90 exposed;
    // TTLs from 5 minutes to a year; first seen over the last 30 days.
    await withIndexesRebuilt(exec, q, 'Token', () =>
      exec(
        `INSERT INTO "Token" (fingerprint, "identityId", jti, issuer, audience, scopes, "issuedAt", "expiresAt", "ttlSeconds", binding, status, exposure, privileged, "firstSeenAt")
         SELECT md5('t' || g) || md5('u' || g), b.id, 'jti-' || g, 'https://as.bench.example',
                ARRAY['https://api' || (g % 50) || '.bench.example'],
                CASE WHEN g % 7 = 0 THEN ARRAY['orders:read','admin'] ELSE ARRAY['orders:read'] END,
                now() - (g % 30) * interval '1 day',
                now() - (g % 30) * interval '1 day' + ((ARRAY[300, 3600, 86400, 2592000, 31536000])[1 + g % 5]) * interval '1 second',
                (ARRAY[300, 3600, 86400, 2592000, 31536000])[1 + g % 5],
                (CASE WHEN g % 20 < 11 THEN 'bearer' WHEN g % 20 < 16 THEN 'mtls' ELSE 'dpop' END)::"Binding",
                CASE WHEN g % 50 = 0 THEN 'revoked' ELSE 'active' END,
                CASE WHEN g % 90 = 0 THEN 'exposed' ELSE 'none' END,
                g % 7 = 0, now() - (g % 30) * interval '1 day'
           FROM generate_series(1, $1::int) g JOIN bench_ids b ON b.rn = g % $2::int`,
        [tokens, identities],
      ).then(() => undefined),
    );
    await exec(`CREATE TEMP TABLE bench_toks AS SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id, "identityId", binding::text AS binding FROM "Token"`);
    await exec(`CREATE INDEX ON bench_toks (rn)`);
    await exec(
      `INSERT INTO "Finding" ("dedupeKey", rule, severity, "identityId", "tokenId", title, explanation, recommendation, "blastRadius", "lastSeenAt")
       SELECT 'unbound_high_risk:token:' || t.id, 'unbound_high_risk', CASE WHEN t.exposure = 'exposed' THEN 'critical' ELSE 'high' END, t."identityId", t.id,
              'Unbound high-risk token', 'bench', 'bench', 10 + abs(hashtext(t.id::text)) % 500, now()
         FROM "Token" t WHERE t.binding = 'bearer' AND t.privileged AND t.status = 'active'
       UNION ALL
       SELECT 'ttl_over_policy:token:' || t.id, 'ttl_over_policy', 'medium', t."identityId", t.id, 'Token lives too long', 'bench', 'bench', 5, now()
         FROM "Token" t WHERE t."ttlSeconds" > 86400 AND abs(hashtext(t.id::text)) % 5 = 0`,
    );
    // What evaluateFindings does after applying findings: the tokens' riskiest-first sort key.
    await exec(REFRESH_TOKEN_RISK_SQL);
    // Events: 7 in 12 ok, 2 in 12 bearer_unbound, 3 in 12 other failures, spread over 30 days, round-robin
    // over the tokens; in chunks of 1M so one statement does not hold gigabytes of sort memory.
    await withIndexesRebuilt(exec, q, 'BindingEvent', async () => {
      const chunk = 1_000_000;
      for (let from = 1; from <= events; from += chunk) {
        await exec(
          `INSERT INTO "BindingEvent" ("dedupeKey", "occurredAt", "requestId", gateway, method, url, "clientIp", "identityId", "tokenId", binding, verdict, reason)
           SELECT 'e' || g, now() - (g % 2592000) * interval '1 second', 'req-' || g, 'gw-' || (g % 7), 'GET', 'https://api' || (g % 50) || '.bench.example/x',
                  '198.51.100.' || (g % 250), k."identityId", k.id, k.binding,
                  (ARRAY['ok','ok','ok','ok','ok','ok','ok','bearer_unbound','bearer_unbound','proof_invalid','binding_mismatch','cert_expired'])[1 + g % 12],
                  CASE WHEN g % 12 = 9 THEN 'htu' END
             FROM generate_series($1::int, $2::int) g JOIN bench_toks k ON k.rn = g % $3::int`,
          [from, Math.min(events, from + chunk - 1), tokens],
        );
      }
    });
    await exec('ANALYZE');
  } finally {
    client.release();
  }
}

async function timeIt(fn: () => Promise<unknown>, runs = RUNS): Promise<{ p50: number; p95: number }> {
  await fn();
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: q(0.5), p95: q(0.95) };
}

function results(name: string, ours: { p50: number; p95: number }, base: { p50: number; p95: number }, baseName: string, targetMs: number | undefined, notes: string): BenchResult[] {
  return (['p50', 'p95'] as const).map((k) => ({
    name: `${name} ${k}`,
    value: Math.round(ours[k] * 10) / 10,
    unit: 'ms',
    baseline: { name: `${baseName} ${k}`, value: Math.round(base[k] * 10) / 10, unit: 'ms' },
    ratio: base[k] / Math.max(ours[k], 0.01),
    ...(k === 'p95' && targetMs !== undefined ? { target: `< ${targetMs} ms at 1M tokens / 10M events`, pass: ours[k] < targetMs } : {}),
    notes,
  }));
}

export async function run(): Promise<BenchResult[]> {
  if (!(await postgresAvailable())) {
    return [{ name: 'views', value: 0, unit: 'ms', baseline: { name: 'none', value: 0, unit: 'ms' }, ratio: 0, notes: 'skipped: PostgreSQL not reachable' }];
  }
  const t = await openTestDatabase('postgres');
  try {
    const g0 = performance.now();
    await generate(t.db);
    const genS = ((performance.now() - g0) / 1000).toFixed(0);
    const db = t.db;
    const scale = `N = ${TOKENS.toLocaleString('en-US')} tokens, ${EVENTS.toLocaleString('en-US')} events (generated in ${genS} s)`;
    const out: BenchResult[] = [];

    // Summary vs the same counts as full scans of Token, Finding and BindingEvent.
    const summary = await timeIt(() => getSummary(db));
    // The trigger-kept counters must agree with a count over the rows.
    const got = (await getSummary(db)).tokens;
    const [exact] = await db.query<{ total: number; bearer: number; exposed: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE binding = 'bearer')::int AS bearer,
              count(*) FILTER (WHERE exposure = 'exposed' AND status = 'active')::int AS exposed FROM "Token"`,
    );
    const agree = got.total === exact!.total && got.bearer === exact!.bearer && got.exposedActive === exact!.exposed;
    const naiveSummary = await timeIt(async () => {
      await db.query(
        `SELECT count(*) AS total, count(*) FILTER (WHERE t.binding = 'bearer') AS bearer,
                count(*) FILTER (WHERE t.binding = 'mtls') AS mtls, count(*) FILTER (WHERE t.binding = 'dpop') AS dpop,
                count(*) FILTER (WHERE ${UNBOUND_HIGH_RISK_SQL}) AS uhr,
                count(*) FILTER (WHERE t.exposure = 'exposed' AND t.status = 'active') AS exposed
           FROM "Token" t`,
      );
      await db.query(`SELECT (SELECT count(*) FROM "Identity"), (SELECT count(*) FROM "Certificate"), (SELECT count(*) FROM "BindingEvent")`);
      await db.query(`SELECT rule, count(*) FROM "Finding" WHERE status <> 'resolved' GROUP BY rule`);
    }, BASE_RUNS);
    out.push(...results('summary', summary, naiveSummary, 'count(*) over Token + BindingEvent', 150, `${scale}. Token counts from TokenCount, event count from EventRollup (both trigger-kept); findings counted over the (rule, status) index. Counters ${agree ? 'equal' : 'DIFFER FROM'} count(*) over Token.`));

    // Token list, unbound high-risk, riskiest first: first and 100th page (keyset) vs OFFSET with per-row sort keys.
    const f = parseTokenFilters({ binding: 'bearer', risk: 'high' });
    let cursor: string | undefined;
    for (let i = 0; i < 99; i++) {
      const p = await listTokens(db, f, cursor ? { after: cursor } : {});
      cursor = p.nextCursor ?? undefined;
      if (!cursor) break;
    }
    const naiveRisk = (offset: number) =>
      db.query(
        `SELECT t.*, i.name FROM "Token" t JOIN "Identity" i ON i.id = t."identityId"
          WHERE t.binding = 'bearer' AND EXISTS (SELECT 1 FROM "Finding" f WHERE f."tokenId" = t.id AND f.rule = 'unbound_high_risk' AND f.status <> 'resolved')
          ORDER BY (SELECT min(CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END) FROM "Finding" f WHERE f."tokenId" = t.id AND f.status <> 'resolved'),
                   (SELECT -sum("blastRadius") FROM "Finding" f WHERE f."tokenId" = t.id AND f.status <> 'resolved'), t.id
          OFFSET ${offset} LIMIT 51`,
      );
    out.push(...results('tokens risk=high page 1', await timeIt(() => listTokens(db, f, {})), await timeIt(() => naiveRisk(0), BASE_RUNS), 'OFFSET + correlated sort', 50, scale));
    if (cursor) {
      const c = cursor;
      out.push(...results('tokens risk=high page 100', await timeIt(() => listTokens(db, f, { after: c })), await timeIt(() => naiveRisk(99 * 50), BASE_RUNS), 'OFFSET 4950 + correlated sort', 50, scale));
    }

    // Token list by id: keyset vs OFFSET.
    const fid = parseTokenFilters({});
    let idCursor: string | undefined;
    for (let i = 0; i < 99; i++) idCursor = (await listTokens(db, fid, idCursor ? { after: idCursor } : {})).nextCursor ?? undefined;
    const naiveId = (offset: number) => db.query(`SELECT t.*, i.name FROM "Token" t JOIN "Identity" i ON i.id = t."identityId" ORDER BY t.id::text OFFSET ${offset} LIMIT 51`);
    out.push(...results('tokens all page 1', await timeIt(() => listTokens(db, fid, {})), await timeIt(() => naiveId(0), BASE_RUNS), 'OFFSET, text sort', 50, scale));
    const ic = idCursor!;
    out.push(...results('tokens all page 100', await timeIt(() => listTokens(db, fid, { after: ic })), await timeIt(() => naiveId(99 * 50), BASE_RUNS), 'OFFSET 4950, text sort', 50, scale));

    // Identity page vs loading its raw events and findings and folding them in the app.
    const [idn] = await db.query<{ id: string }>(`SELECT "identityId"::text AS id FROM "Finding" GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    const naiveIdentity = async () => {
      await db.query(`SELECT * FROM "Token" WHERE "identityId" = $1::uuid`, [idn!.id]);
      await db.query(`SELECT * FROM "Finding" WHERE "identityId" = $1::uuid`, [idn!.id]);
      const ev = await db.query<{ occurredAt: Date; verdict: string }>(`SELECT * FROM "BindingEvent" WHERE "identityId"::text = $1`, [idn!.id]);
      const days = new Map<string, number>();
      for (const e of ev) days.set(`${new Date(e.occurredAt).toISOString().slice(0, 10)}:${e.verdict}`, 1 + (days.get(`${e.occurredAt}`) ?? 0));
    };
    out.push(...results('identity page', await timeIt(() => getIdentityDetail(db, idn!.id)), await timeIt(naiveIdentity, BASE_RUNS), 'raw events loaded and folded', 50, `${scale}; identity with the most findings`));

    // Overview (uncached: the page serves it through the view cache) vs its binding-mix chart
    // done the old way, joining the window's events to their tokens. No target in the issue.
    const naiveMix = () =>
      db.query(
        `SELECT date_trunc('day', e."occurredAt"), t.binding, count(*) FROM "BindingEvent" e JOIN "Token" t ON t.id = e."tokenId"
          WHERE e."occurredAt" > now() - interval '14 days' GROUP BY 1, 2`,
      );
    const overviewRuns = Math.max(3, Math.min(RUNS, 10));
    out.push(...results('overview (uncached)', await timeIt(() => getOverview(db, { days: 7 }), overviewRuns), await timeIt(naiveMix, Math.min(BASE_RUNS, 3)), 'binding-mix chart alone as an events ⋈ tokens join', undefined, `${scale}; trends, failures, TTL, top identities and the binding mix from EventBindingRollup; ${overviewRuns} runs`));
    return out;
  } finally {
    // BENCH_VIEWS_KEEP=1 leaves the estate for EXPLAIN ANALYZE (its URL goes to stderr).
    if (process.env.BENCH_VIEWS_KEEP === '1') {
      process.stderr.write(`views: kept ${t.url ?? ''}\n`);
      await t.db.close();
    } else await t.drop();
  }
}
