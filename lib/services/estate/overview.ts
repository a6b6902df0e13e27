// Overview figures beyond the summary, over a time window (from, to]: trends compare the estate at
// the window's end with the estate at its start (from firstSeenAt / revokedAt / expiresAt;
// unbound high-risk then = tokens live at that time that carry an unbound_high_risk finding not
// resolved by then — the classification is today's policy, there is no stored history of it), and
// the chart series cover the window — binding mix of traffic and binding failures by verdict, per
// hour or per UTC day (TimeWindow.bucket) — plus the TTL distribution of live tokens and the top
// identities by risk, which are current and have no window. Every figure is one GROUP BY; no rows
// are loaded.
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { BINDING_FAILURE_VERDICTS } from '../../risk/index.ts';
import { windowParams, windowRowsSql } from '../event-rollup.ts';
import { IDENTITY_SCORE_SQL } from './list-identities.ts';
import type { WindowBucket } from '../../domain/time-bucket.ts';
import { HOURLY_BUCKETS_UP_TO_MS } from './time-window.ts';

export interface Trend {
  tokens: number;
  bearer: number;
  mtls: number;
  dpop: number;
  unboundHighRisk: number;
  exposedActive: number;
  /** % of live tokens that are sender-constrained, privileged tokens weighted 3×. */
  weightedConstrainedPct: number;
}

export interface TtlBucket {
  bucket: string;
  label: string;
  /** Token list filter that shows exactly this bucket's tokens. */
  query: Record<string, string>;
  bearer: number;
  mtls: number;
  dpop: number;
}

export interface OverviewOptions {
  /** Start of the window: the trends' "then". Default: 7 days before `to`. */
  from?: Date;
  /** End of the window: the trends' "now". Default: now. */
  to?: Date;
  /** Chart bucket; default hourly for windows up to 48 h, else daily. */
  bucket?: WindowBucket;
}

export interface OverviewData {
  window: { from: string; to: string; bucket: WindowBucket };
  /** Start of the 24 h before the window's end (for the failures KPI's drill-down link). */
  since24h: string;
  /** The estate at the window's end. */
  now: Trend;
  /** The estate at the window's start. */
  then: Trend;
  /** Binding failures in the 24 h up to the window's end, and in the 24 h before those. */
  failures24h: number;
  failuresPrev24h: number;
  /** Requests per bucket by token binding; `start` is the bucket's first instant (ISO, UTC). */
  bindingMix: { start: string; bearer: number; mtls: number; dpop: number }[];
  /** Binding failures per bucket and verdict. */
  failuresOverTime: { start: string; verdict: string; n: number }[];
  ttl: TtlBucket[];
  /** Ranked by open critical findings, then open high, then summed blast radius (scores saturate at 100). */
  topIdentities: { id: string; name: string; kind: string; score: number; findings: number; critical: number; high: number; blastRadius: number }[];
}

const HOUR = 3600;
export const TTL_BUCKETS: { bucket: string; label: string; min?: number; max?: number; none?: true }[] = [
  { bucket: 'lt1h', label: '< 1 h', min: 0, max: HOUR },
  { bucket: '1h-24h', label: '1–24 h', min: HOUR, max: 24 * HOUR },
  { bucket: '1d-7d', label: '1–7 d', min: 24 * HOUR, max: 7 * 24 * HOUR },
  { bucket: '7d-90d', label: '7–90 d', min: 7 * 24 * HOUR, max: 90 * 24 * HOUR },
  { bucket: 'gt90d', label: '> 90 d', min: 90 * 24 * HOUR, max: 2 ** 31 - 1 },
  { bucket: 'never', label: 'never expires', none: true },
];

/** Per token binding × TTL bucket (TTL_BUCKETS' index; -1 none): the figures both trends and the TTL chart add up. */
interface TokenFigureRow {
  binding: string;
  b: number;
  /** Active tokens (the TTL chart). */
  active: number;
  /** At now (n) and at the window's start (t): tokens known, exposed and live, live weight (privileged 3×), live with an open unbound high-risk finding. */
  tn: number; en: number; wn: number; un: number;
  tt: number; et: number; wt: number; ut: number;
}

/**
 * One pass over "Token" for both trends (now and the window's start) and the TTL chart: the tokens
 * known at each instant, whether each was live then, and its unbound high-risk findings open then
 * (hashed from "Finding", a few per cent of the tokens). Three passes, and a join driven by the tokens
 * live at each instant, took ~2 s of CPU at 1 M tokens: the uncached Overview's floor.
 */
async function tokenFigures(db: Database, at: string, then: string): Promise<TokenFigureRow[]> {
  const live = (p: string) => `("revokedAt" IS NULL OR "revokedAt" > ${p}::timestamptz) AND ("expiresAt" IS NULL OR "expiresAt" > ${p}::timestamptz)`;
  const open = (p: string) => `count(*) FILTER (WHERE status <> 'resolved' OR "resolvedAt" > ${p}::timestamptz)`;
  return db.query<TokenFigureRow>(
    `SELECT t.binding::text AS binding,
            CASE WHEN t."ttlSeconds" IS NULL AND t."expiresAt" IS NULL THEN 5
                 WHEN t."ttlSeconds" < 3600 THEN 0 WHEN t."ttlSeconds" < 86400 THEN 1 WHEN t."ttlSeconds" < 604800 THEN 2
                 WHEN t."ttlSeconds" < 7776000 THEN 3 WHEN t."ttlSeconds" IS NOT NULL THEN 4 ELSE -1 END AS b,
            count(*) FILTER (WHERE t.status = 'active')::int AS active,
            count(*) FILTER (WHERE t.fn)::int AS tn,
            count(*) FILTER (WHERE t.fn AND t.ln AND t.exposure = 'exposed')::int AS en,
            coalesce(sum(t.w) FILTER (WHERE t.fn AND t.ln), 0)::float8 AS wn,
            coalesce(sum(f.n) FILTER (WHERE t.fn AND t.ln), 0)::int AS un,
            count(*) FILTER (WHERE t.ft)::int AS tt,
            count(*) FILTER (WHERE t.ft AND t.lt AND t.exposure = 'exposed')::int AS et,
            coalesce(sum(t.w) FILTER (WHERE t.ft AND t.lt), 0)::float8 AS wt,
            coalesce(sum(f.t) FILTER (WHERE t.ft AND t.lt), 0)::int AS ut
       FROM (SELECT id, binding, "ttlSeconds", "expiresAt", status, exposure, CASE WHEN privileged THEN 3 ELSE 1 END AS w,
                    "firstSeenAt" <= $1::timestamptz AS fn, ${live('$1')} AS ln,
                    "firstSeenAt" <= $2::timestamptz AS ft, ${live('$2')} AS lt
               FROM "Token") t
       LEFT JOIN (SELECT "tokenId", ${open('$1')} AS n, ${open('$2')} AS t
                    FROM "Finding" WHERE rule = 'unbound_high_risk' AND "tokenId" IS NOT NULL GROUP BY 1) f ON f."tokenId" = t.id
      GROUP BY 1, 2`,
    [at, then],
  );
}

/** A trend from tokenFigures' rows, at now (`n`) or at the window's start (`t`). */
function trendOf(rows: TokenFigureRow[], k: 'n' | 't'): Trend {
  const sum = (f: (r: TokenFigureRow) => number, only?: (r: TokenFigureRow) => boolean) => rows.reduce((a, r) => a + (only && !only(r) ? 0 : Number(f(r))), 0);
  const tokens = (r: TokenFigureRow) => (k === 'n' ? r.tn : r.tt);
  const weight = (r: TokenFigureRow) => (k === 'n' ? r.wn : r.wt);
  const constrained = sum(weight, (r) => r.binding !== 'bearer');
  return {
    tokens: sum(tokens),
    bearer: sum(tokens, (r) => r.binding === 'bearer'),
    mtls: sum(tokens, (r) => r.binding === 'mtls'),
    dpop: sum(tokens, (r) => r.binding === 'dpop'),
    unboundHighRisk: sum((r) => (k === 'n' ? r.un : r.ut)),
    exposedActive: sum((r) => (k === 'n' ? r.en : r.et)),
    weightedConstrainedPct: Math.round((constrained / Math.max(sum(weight), 1)) * 1000) / 10,
  };
}

const DAY_MS = 86_400_000;
/** A bucket's start as an ISO instant, in SQL (`col` a timestamptz). */
const bucketStartSql = (bucket: WindowBucket, col: string) =>
  `to_char(date_trunc('${bucket}', ${col} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS".000Z"')`;

export async function getOverview(db: Database, opts: OverviewOptions = {}): Promise<OverviewData> {
  const now = opts.to ?? new Date();
  const from = opts.from ?? new Date(now.getTime() - 7 * DAY_MS);
  if (from > now) throw new HoldfastError('bad_request', 'from must not be after to');
  const bucket = opts.bucket ?? (now.getTime() - from.getTime() <= HOURLY_BUCKETS_UP_TO_MS ? 'hour' : 'day');
  const nowIso = now.toISOString();
  const thenIso = from.toISOString();
  // Independent queries, started together: on PostgreSQL each runs on its own pooled connection
  // (the uncached Overview at 1M tokens is bounded by its slowest query, not their sum).
  const tokenFiguresP = tokenFigures(db, nowIso, thenIso);
  // Failure counts from the hourly rollup (exact: partial end hours counted from the events).
  const fail = BINDING_FAILURE_VERDICTS;
  const nowMs = now.getTime();
  const fP = db.query<{ cur: number; prev: number }>(
    `SELECT (SELECT coalesce(sum(n), 0) FROM (${windowRowsSql(fail, 1)}) x)::int AS cur,
            (SELECT coalesce(sum(n), 0) FROM (${windowRowsSql(fail, 5)}) x)::int AS prev`,
    [...windowParams(nowMs - 86_400_000, nowMs), ...windowParams(nowMs - 2 * 86_400_000, nowMs - 86_400_000)],
  );
  // Traffic per token binding per bucket, from the hourly "EventBindingRollup": the whole hours
  // from the one holding the window's start to the one holding its end (ok requests are not kept
  // one by one, so the first and last hours count whole) — never a join of requests to tokens.
  // An end on the hour excludes the hour it starts (that hour is after the window).
  const mixFrom = Math.floor(from.getTime() / 3_600_000) * 3_600_000;
  const mixP = db.query<{ start: string; binding: string; n: number }>(
    `SELECT ${bucketStartSql(bucket, '"hour"')} AS start, "binding" AS binding, sum("count")::int AS n
       FROM "EventBindingRollup" WHERE "hour" >= $1::timestamptz AND "hour" < $2::timestamptz
      GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
    [new Date(mixFrom).toISOString(), nowIso],
  );
  // Failures are exact to the instant: the window (from, to] from the rollup plus the kept requests.
  const failuresOverTimeP = db.query<{ start: string; verdict: string; n: number }>(
    `SELECT ${bucketStartSql(bucket, 'at')} AS start, "verdict" AS verdict, sum(n)::int AS n
       FROM (${windowRowsSql(fail, 1)}) x
      GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`,
    windowParams(from.getTime(), nowMs),
  );
  // The risk score saturates (a few critical findings already make 100), so it cannot rank the
  // riskiest identities apart: rank by open critical findings, then high, then blast radius.
  const topP = db.query<{ id: string; name: string; kind: string; score: number; n: number; critical: number; high: number; radius: number }>(
    `WITH s AS (${IDENTITY_SCORE_SQL}),
          c AS (SELECT "identityId", count(*) FILTER (WHERE severity = 'critical')::int AS critical,
                       count(*) FILTER (WHERE severity = 'high')::int AS high, coalesce(sum("blastRadius"), 0)::int AS radius
                  FROM "Finding" WHERE status = 'open' AND "identityId" IS NOT NULL GROUP BY "identityId")
     SELECT i.id::text, i.name, i.kind, s.score, s.n, c.critical, c.high, c.radius
       FROM c JOIN s ON s."identityId" = c."identityId" JOIN "Identity" i ON i.id = c."identityId"
      ORDER BY c.critical DESC, c.high DESC, c.radius DESC, i.name LIMIT 10`,
  );
  const [figures, [f], mix, failuresOverTime, top] = await Promise.all([tokenFiguresP, fP, mixP, failuresOverTimeP, topP]);
  const [nowT, thenT] = [trendOf(figures, 'n'), trendOf(figures, 't')];
  const mixByStart = new Map<string, { start: string; bearer: number; mtls: number; dpop: number }>();
  for (const r of mix) {
    const d = mixByStart.get(r.start) ?? { start: r.start, bearer: 0, mtls: 0, dpop: 0 };
    d[r.binding as 'bearer' | 'mtls' | 'dpop'] = Number(r.n);
    mixByStart.set(r.start, d);
  }
  const ttl: TtlBucket[] = TTL_BUCKETS.map((b) => ({
    bucket: b.bucket,
    label: b.label,
    query: (b.none ? { status: 'active', noExpiry: 'true' } : { status: 'active', ttlMin: String(b.min), ttlMax: String(b.max) }) as Record<string, string>,
    bearer: 0,
    mtls: 0,
    dpop: 0,
  }));
  for (const r of figures) {
    const b = ttl[Number(r.b)];
    if (b && (r.binding === 'bearer' || r.binding === 'mtls' || r.binding === 'dpop')) b[r.binding] += Number(r.active);
  }
  return {
    window: { from: thenIso, to: nowIso, bucket },
    since24h: new Date(now.getTime() - DAY_MS).toISOString(),
    now: nowT,
    then: thenT,
    failures24h: Number(f?.cur ?? 0),
    failuresPrev24h: Number(f?.prev ?? 0),
    bindingMix: [...mixByStart.values()],
    failuresOverTime: failuresOverTime.map((r) => ({ ...r, n: Number(r.n) })),
    ttl,
    topIdentities: top.map((r) => ({
      id: r.id,
      name: r.name,
      kind: r.kind,
      score: Number(r.score),
      findings: Number(r.n),
      critical: Number(r.critical),
      high: Number(r.high),
      blastRadius: Number(r.radius),
    })),
  };
}
