// The analyst views on the evidence store, at the scale (PostgreSQL): p50/p95 of the
// summary, the token list's first and 100th page (unbound high-risk filter, riskiest first; and by
// id), an identity page, the uncached Overview, a findings evaluation of the whole estate and the
// one that follows a batch (its tokens only) — each against the same question answered naively in
// the same run (full-scan counts, OFFSET paging, correlated per-row
// sort keys, the usage rows joined to their tokens). Measures the service functions the pages and
// routes call (SQL + mapping), not React rendering.
//
// The estate is generated inside PostgreSQL (INSERT … SELECT FROM generate_series; secondary indexes
// dropped for the bulk load and rebuilt, then ANALYZE), shaped as the evidence writer leaves it:
// BENCH_VIEWS_TOKENS tokens over tokens/100 identities; BENCH_VIEWS_REQUESTS requests (default 100 per
// token) as hourly usage rows (evidence."Usage", BENCH_VIEWS_ROWS_PER_TOKEN per token over 30 days,
// bearer tokens' requests bearer_unbound, bound tokens' ok, 1 row in 20 a binding or certificate
// failure), their hourly rollups, and the failures as notable requests (evidence."Notable", one per
// failed request; bearer_unbound requests, which the writer keeps too, are not generated: the views
// measured here reach notable rows only through indexes); findings for the privileged bearer
// tokens (unbound_high_risk) and every 5th long-lived token (ttl_over_policy). The default (200,000
// tokens, 20,000,000 requests) keeps `npm run bench` to a few minutes; the scale is
//   BENCH_VIEWS_TOKENS=1000000 BENCH_VIEWS_REQUESTS=100000000 npm run bench -- views
// BENCH_VIEWS_RUNS (20) timed runs per figure, BENCH_VIEWS_BASE_RUNS (10) per naive baseline;
// BENCH_VIEWS_BATCH_TOKENS (2,000) distinct tokens per batch; BENCH_VIEWS_KEEP=1 keeps the database afterwards;
// BENCH_VIEWS_FINDINGS=0 leaves out the findings evaluations (~15 minutes at 1 M tokens).
import { stampAllUsageHours } from '../lib/services/evidence/usage-versions.ts';
import { getOverview } from '../lib/services/estate/overview.ts';
import type { Database } from '../lib/db/open.ts';
import { verdictCode, verdictNameSql } from '../lib/domain/verdict-codes.ts';
import { getIdentityDetail } from '../lib/services/estate/details.ts';
import { listTokens, parseTokenFilters } from '../lib/services/estate/lists.ts';
import { DIM } from '../lib/services/evidence/dims.ts';
import { monthStart, partitionSet } from '../lib/services/evidence/partitions.ts';
import { evaluateFindings } from '../lib/services/findings/index.ts';
import { REFRESH_TOKEN_RISK_SQL } from '../lib/services/findings/evaluate.ts';
import { getSummary, UNBOUND_HIGH_RISK_SQL } from '../lib/services/summary.ts';
import { openTestDatabase, postgresAvailable } from '../lib/testing/databases.ts';
import { timeIt as timeRuns } from './timing.ts';
import type { BenchResult } from './types.ts';

const TOKENS = Number(process.env.BENCH_VIEWS_TOKENS ?? 200_000);
const REQUESTS = Number(process.env.BENCH_VIEWS_REQUESTS ?? TOKENS * 100);
const ROWS_PER_TOKEN = Number(process.env.BENCH_VIEWS_ROWS_PER_TOKEN ?? 5);
const RUNS = Number(process.env.BENCH_VIEWS_RUNS ?? 20);
// Distinct tokens in one ingest batch, for the findings evaluation that follows it.
const BATCH_TOKENS = Number(process.env.BENCH_VIEWS_BATCH_TOKENS ?? 2_000);
// The naive baselines take seconds each at full scale: fewer runs (p95 of 10 = the slowest but one).
const BASE_RUNS = Number(process.env.BENCH_VIEWS_BASE_RUNS ?? 10);
const DAY_MS = 86_400_000;

type Exec = (sql: string, params?: unknown[]) => Promise<unknown>;

/** Drops a table's secondary indexes (not constraint-backed ones), runs `fill`, rebuilds them: one
 * sorted build per index instead of millions of incremental inserts into each. Same definitions after. */
async function withIndexesRebuilt(exec: Exec, q: <T>(sql: string) => Promise<T[]>, table: string, fill: () => Promise<void>, schema = 'public'): Promise<void> {
  const defs = await q<{ name: string; def: string }>(
    `SELECT indexname AS name, indexdef AS def FROM pg_indexes
      WHERE schemaname = '${schema}' AND tablename = '${table}'
        AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = '"${schema}"."${table}"'::regclass)`,
  );
  for (const d of defs) await exec(`DROP INDEX "${schema}"."${d.name}"`);
  await fill();
  // A partitioned table's index reads `ON ONLY` in pg_indexes: rebuilt as such it would be an
  // invalid index on the parent alone, and every partition would be left without it.
  for (const d of defs) await exec(d.def.replace(/ ON ONLY /, ' ON '));
}

export async function generate(db: Database, tokens = TOKENS, requests = REQUESTS): Promise<void> {
  const nowMs = Date.now();
  // Partitions for the 30 days of evidence (the writer creates them as batches arrive).
  const months = [...new Set([0, 15, 31].map((d) => monthStart(nowMs - d * DAY_MS)).concat(monthStart(nowMs)))];
  await partitionSet(db).ensure(db, months.flatMap((m) => [{ table: 'Usage' as const, key: m }, { table: 'Notable' as const, key: m }]));
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

    // Dimensions: one source, 7 gateways, 250 client networks, 50 routes, a certificate per mTLS
    // token and a key per DPoP token are referred to by number, as the writer stores them.
    await exec(`INSERT INTO "evidence"."Dim" (kind, value) VALUES (${DIM.ns}, 'bench-source')`);
    await exec(`INSERT INTO "evidence"."Dim" (kind, value) SELECT ${DIM.gateway}, 'gw-' || g FROM generate_series(0, 6) g`);
    await exec(`INSERT INTO "evidence"."Dim" (kind, value) SELECT ${DIM.network}, '198.51.' || g || '.0' FROM generate_series(0, 249) g`);
    await exec(`INSERT INTO "evidence"."Dim" (kind, value) SELECT ${DIM.route}, 'api' || g || '.bench.example /v1' FROM generate_series(0, 49) g`);
    await exec(`INSERT INTO "evidence"."Dim" (kind, value) SELECT ${DIM.reason}, r FROM unnest(ARRAY['htu','x5t_mismatch','jkt_mismatch']) r`);
    await exec(`INSERT INTO "evidence"."Dim" (kind, value) SELECT CASE WHEN binding = 'mtls' THEN ${DIM.cert} ELSE ${DIM.jkt} END, md5('k' || rn) || md5('l' || rn) FROM bench_toks WHERE binding <> 'bearer'`);
    await exec(`CREATE TEMP TABLE bench_dim AS SELECT kind, value, id FROM "evidence"."Dim"`);
    await exec(`CREATE TEMP TABLE bench_keys AS SELECT k.rn, d.id AS dim FROM bench_toks k JOIN bench_dim d ON d.value = md5('k' || k.rn) || md5('l' || k.rn)`);
    await exec(`CREATE INDEX ON bench_keys (rn)`);
    const [ns] = await q<{ id: number }>(`SELECT id FROM bench_dim WHERE kind = ${DIM.ns}`);
    const dimBase = async (kind: number) => (await q<{ id: number }>(`SELECT min(id) AS id FROM bench_dim WHERE kind = ${kind}`))[0]!.id;
    const [gw0, net0, route0, reason0] = [await dimBase(DIM.gateway), await dimBase(DIM.network), await dimBase(DIM.route), await dimBase(DIM.reason)];

    // Usage: ROWS_PER_TOKEN hourly rows per token over 30 days, requests spread evenly. Bearer tokens'
    // requests are bearer_unbound, bound ones' ok, and 1 row in 20 is a failure instead.
    const perRow = Math.max(1, Math.round(requests / (tokens * ROWS_PER_TOKEN)));
    const fail = ['binding_mismatch', 'proof_invalid', 'cert_expired', 'no_proof_for_bound_token'];
    const verdictSql = `CASE WHEN (k.rn * ${ROWS_PER_TOKEN} + r) % 20 = 7 THEN (ARRAY[${fail.map((v) => verdictCode(v)).join(',')}])[1 + (k.rn + r) % 4]
                             WHEN k.binding = 'bearer' THEN ${verdictCode('bearer_unbound')} ELSE ${verdictCode('ok')} END`;
    await withIndexesRebuilt(exec, q, 'Usage', async () => {
      const chunk = 200_000;
      for (let from = 0; from < tokens; from += chunk) {
        await exec(
          `INSERT INTO "evidence"."Usage" ("hour", "firstAt", "lastAt", "count", "ns", "gateway", "route", "network", "cert", "jkt", "reason", "verdict", "stripe", "tokenId", "identityId", "aggKey", "exemplar")
           SELECT h.hour, h.hour + ((k.rn + r) % 1800) * interval '1 second', h.hour + ((k.rn + r) % 1800 + 1500) * interval '1 second', ${perRow},
                  ${ns!.id}, ${gw0} + k.rn % 7, ${route0} + k.rn % 50, ${net0} + k.rn % 250,
                  CASE WHEN k.binding = 'mtls' THEN bk.dim END, CASE WHEN k.binding = 'dpop' THEN bk.dim END,
                  CASE WHEN (k.rn * ${ROWS_PER_TOKEN} + r) % 20 = 7 AND k.binding <> 'bearer' THEN ${reason0} + (k.rn % 3) END,
                  ${verdictSql}, 0, k.id, k."identityId",
                  substring(sha256(convert_to(k.rn || ':' || r, 'UTF8')) from 1 for 16), substring(sha256(convert_to('x' || k.rn || ':' || r, 'UTF8')) from 1 for 17)
             FROM bench_toks k LEFT JOIN bench_keys bk ON bk.rn = k.rn
            CROSS JOIN generate_series(0, ${ROWS_PER_TOKEN - 1}) r
            CROSS JOIN LATERAL (SELECT date_trunc('hour', now()) - ((k.rn * 7919 + r * 104729) % 719 + 1) * interval '1 hour' AS hour) h
            WHERE k.rn >= $1 AND k.rn < $2`,
          [from, Math.min(tokens, from + chunk)],
        );
      }
    }, 'evidence');
    // Failures individually, as the writer keeps them (one notable row per failed request).
    await withIndexesRebuilt(exec, q, 'Notable', async () => {
      await exec(
        `INSERT INTO "evidence"."Notable" ("occurredAt", "ns", "verdict", "httpStatus", "tokenId", "identityId", "key", "requestId", "gateway", "method", "url", "clientIp", "authScheme", "reason", "binding", "redactedRaw")
         SELECT u."firstAt" + (s * 7 % 1500) * interval '1 second', u."ns", u."verdict", 401, u."tokenId", u."identityId",
                substring(sha256(convert_to(encode(u."aggKey", 'hex') || ':' || s, 'UTF8')) from 1 for 17), md5(encode(u."aggKey", 'hex') || s),
                'gw-' || (u."gateway" - ${gw0}), 'GET', 'https://api.bench.example/v1/orders', '198.51.100.' || (s % 250), 'Bearer', NULL, t.binding::text,
                '{"time":"…","status":401,"uri":"/v1/orders","ssl_client_verify":"SUCCESS","authz_scheme":"Bearer"}'
           FROM "evidence"."Usage" u JOIN "Token" t ON t.id = u."tokenId" CROSS JOIN generate_series(1, u."count"::int) s
          WHERE u."verdict" IN (${fail.map((v) => verdictCode(v)).join(',')})`,
      );
    }, 'evidence');
    // The hourly rollups and usage stamps the writer keeps in the same transaction.
    await stampAllUsageHours((sql, params) => client.query(sql, params));
    await exec(`INSERT INTO "EventRollup" ("hour", "verdict", "stripe", "count") SELECT "hour", ${verdictNameSql('"verdict"')}, 0, sum("count") FROM "evidence"."Usage" GROUP BY 1, 2`);
    await exec(
      `INSERT INTO "EventBindingRollup" ("hour", "binding", "stripe", "count")
       SELECT u."hour", t.binding::text, 0, sum(u."count") FROM "evidence"."Usage" u JOIN "Token" t ON t.id = u."tokenId" GROUP BY 1, 2`,
    );
    await exec('ANALYZE');
  } finally {
    client.release();
  }
}

const timeIt = (fn: () => Promise<unknown>, runs = RUNS) => timeRuns(fn, runs, 2);

function results(name: string, ours: { p50: number; p95: number }, base: { p50: number; p95: number }, baseName: string, targetMs: number | undefined, notes: string): BenchResult[] {
  return (['p50', 'p95'] as const).map((k) => ({
    name: `${name} ${k}`,
    value: Math.round(ours[k] * 10) / 10,
    unit: 'ms',
    baseline: { name: `${baseName} ${k}`, value: Math.round(base[k] * 10) / 10, unit: 'ms' },
    ratio: base[k] / Math.max(ours[k], 0.01),
    ...(k === 'p95' && targetMs !== undefined ? { target: `< ${targetMs} ms at 1M tokens / 100M requests`, pass: ours[k] < targetMs } : {}),
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
    const [rows] = await db.query<{ usage: number; notable: number; requests: number }>(
      `SELECT (SELECT count(*) FROM "evidence"."Usage")::int AS usage, (SELECT count(*) FROM "evidence"."Notable")::int AS notable, (SELECT sum("count") FROM "evidence"."Usage")::float8 AS requests`,
    );
    const scale = `N = ${TOKENS.toLocaleString('en-US')} tokens, ${rows!.requests.toLocaleString('en-US')} requests as ${rows!.usage.toLocaleString('en-US')} usage rows and ${rows!.notable.toLocaleString('en-US')} notable failures (generated in ${genS} s)`;
    const out: BenchResult[] = [];

    // Summary vs the same counts as full scans of Token, Finding and the usage rows.
    const summary = await timeIt(() => getSummary(db));
    // The trigger-kept counters must agree with a count over the rows.
    const got = await getSummary(db);
    const [exact] = await db.query<{ total: number; bearer: number; exposed: number }>(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE binding = 'bearer')::int AS bearer,
              count(*) FILTER (WHERE exposure = 'exposed' AND status = 'active')::int AS exposed FROM "Token"`,
    );
    const agree = got.tokens.total === exact!.total && got.tokens.bearer === exact!.bearer && got.tokens.exposedActive === exact!.exposed && Number(got.events) === rows!.requests;
    const naiveSummary = await timeIt(async () => {
      await db.query(
        `SELECT count(*) AS total, count(*) FILTER (WHERE t.binding = 'bearer') AS bearer,
                count(*) FILTER (WHERE t.binding = 'mtls') AS mtls, count(*) FILTER (WHERE t.binding = 'dpop') AS dpop,
                count(*) FILTER (WHERE ${UNBOUND_HIGH_RISK_SQL}) AS uhr,
                count(*) FILTER (WHERE t.exposure = 'exposed' AND t.status = 'active') AS exposed
           FROM "Token" t`,
      );
      await db.query(`SELECT (SELECT count(*) FROM "Identity"), (SELECT count(*) FROM "Certificate"), (SELECT sum("count") FROM "evidence"."Usage")`);
      await db.query(`SELECT rule, count(*) FROM "Finding" WHERE status <> 'resolved' GROUP BY rule`);
    }, BASE_RUNS);
    out.push(...results('summary', summary, naiveSummary, 'count(*) over Token + sum over usage rows', 150, `${scale}. Token counts from TokenCount, request count from EventRollup (both kept by the writer); findings counted over the (rule, status) index. Counters ${agree ? 'equal' : 'DIFFER FROM'} count(*) over Token and the usage rows.`));

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

    // Identity page vs loading its usage rows and findings and folding them in the app.
    const [idn] = await db.query<{ id: string }>(`SELECT "identityId"::text AS id FROM "Finding" GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
    const naiveIdentity = async () => {
      await db.query(`SELECT * FROM "Token" WHERE "identityId" = $1::uuid`, [idn!.id]);
      await db.query(`SELECT * FROM "Finding" WHERE "identityId" = $1::uuid`, [idn!.id]);
      const ev = await db.query<{ hour: Date; verdict: number; count: string }>(`SELECT * FROM "evidence"."Usage" WHERE "identityId"::text = $1`, [idn!.id]);
      const days = new Map<string, number>();
      for (const e of ev) days.set(`${new Date(e.hour).toISOString().slice(0, 10)}:${e.verdict}`, Number(e.count) + (days.get(`${e.hour}`) ?? 0));
    };
    out.push(...results('identity page', await timeIt(() => getIdentityDetail(db, idn!.id)), await timeIt(naiveIdentity, BASE_RUNS), 'usage rows loaded and folded', 50, `${scale}; identity with the most findings`));

    // Overview (uncached: the page serves it through the view cache) vs its binding-mix chart done
    // the naive way, joining the window's usage rows to their tokens.
    const naiveMix = () =>
      db.query(
        `SELECT date_trunc('day', u."hour"), t.binding, sum(u."count") FROM "evidence"."Usage" u JOIN "Token" t ON t.id = u."tokenId"
          WHERE u."hour" > now() - interval '14 days' GROUP BY 1, 2`,
      );
    const overviewRuns = Math.max(3, Math.min(RUNS, 10));
    out.push(...results('overview (uncached)', await timeIt(() => getOverview(db, { from: new Date(Date.now() - 7 * 86_400_000) }), overviewRuns), await timeIt(naiveMix, Math.min(BASE_RUNS, 3)), 'binding-mix chart alone as a usage ⋈ tokens join', 1000, `${scale}; trends, failures, TTL, top identities and the binding mix from the hourly rollups; ${overviewRuns} runs`));

    // BENCH_VIEWS_FINDINGS=0 stops here: at 1 M tokens the evaluations below take ~15 minutes.
    if (process.env.BENCH_VIEWS_FINDINGS === '0') return out;

    // One findings evaluation over the whole estate (every rule, from the aggregates) vs the least any
    // evaluation must read: one pass over the usage rows per token.
    const evalRuns = 3;
    const evaluation = await timeIt(() => evaluateFindings(db, { actor: 'system:bench' }), evalRuns);
    const usagePass = await timeIt(() => db.query(`SELECT "tokenId", sum("count"), min("firstAt"), max("lastAt") FROM "evidence"."Usage" GROUP BY 1`), evalRuns);
    out.push(...results('findings evaluation, whole estate', evaluation, usagePass, 'one GROUP BY pass over the usage rows', undefined, `${scale}; ${evalRuns} runs after two warm-ups (each re-evaluates the whole estate); on a large estate under ingest this runs in the background at least every 15 min`));

    // What follows each batch on an estate this size (lib/services/findings/coalesce.ts): the token
    // rules over the tokens the batch touched — BATCH_TOKENS tokens spread over the estate, another
    // sample each run — against the whole-estate run just measured.
    const samples: string[][] = [];
    for (let i = 0; i < evalRuns + 2; i++) {
      samples.push((await db.query<{ id: string }>(`SELECT id::text FROM "Token" ORDER BY md5(id::text || $2) LIMIT $1`, [BATCH_TOKENS, `run-${i}`])).map((r) => r.id));
    }
    let sample = 0;
    const afterBatch = await timeIt(() => evaluateFindings(db, { actor: 'system:bench', scope: { tokenIds: samples[sample++ % samples.length]! } }), evalRuns);
    out.push(...results('findings after a batch', afterBatch, evaluation, 'the whole-estate evaluation', 5000, `${scale}; the token rules over the ${BATCH_TOKENS.toLocaleString('en-US')} tokens a batch touched (a new sample each run), as the server does after each batch on an estate of ≥ 50,000 tokens`));
    return out;
  } finally {
    // BENCH_VIEWS_KEEP=1 leaves the estate for EXPLAIN ANALYZE (its URL goes to stderr).
    if (process.env.BENCH_VIEWS_KEEP === '1') {
      process.stderr.write(`views: kept ${t.url ?? ''}\n`);
      await t.db.close();
    } else await t.drop();
  }
}
