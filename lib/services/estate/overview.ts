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
import { IDENTITY_SCORE_EXPR } from './list-identities.ts';
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

/**
 * Tokens per class (binding × TTL bucket, TTL_BUCKETS' index or -1 for an expiry without a recorded
 * lifetime × exposed × privileged × status active): known (first seen) and ended (revoked or expired)
 * by the window's end (`kn`, `gn`) and by its start (`kt`, `gt`), and all of them (`all`). A token is
 * live at an instant when it is known and has not ended by then.
 */
interface ClassFigures {
  binding: string;
  b: number;
  exposed: boolean;
  privileged: boolean;
  active: boolean;
  kn: number; gn: number;
  kt: number; gt: number;
  all: number;
}

const HOUR_MS = 3_600_000;
const hourOf = (iso: string) => new Date(Math.floor(new Date(iso).getTime() / HOUR_MS) * HOUR_MS).toISOString();

/**
 * Both trends' and the TTL chart's token figures without scanning "Token" (~1 s at 1 M tokens): the
 * trigger-kept "TokenTimeline" gives, per class, the tokens first seen and ended in each whole UTC
 * hour before the hour holding each instant; the tokens of those two hours themselves are counted
 * from "Token" through its firstSeenAt / revokedAt / expiresAt indexes (a token's end is one of
 * those instants, so a token that started or ended in the hour is found by one of them). Exact at any
 * instant; see prisma/migrations/*_token_timeline for the model.
 */
/** The class columns (binding, TTL bucket, exposed, privileged, active) of a token figures query. */
const classColumns = (ttlBucket: string, exposed: string, active: string) =>
  `binding::text AS binding, ${ttlBucket} AS b, ${exposed} AS exposed, privileged, ${active} AS active`;

async function tokenFigures(db: Database, at: string, then: string): Promise<ClassFigures[]> {
  const [hAt, hThen] = [hourOf(at), hourOf(then)];
  const timelineP = db.query<ClassFigures>(
    `SELECT ${classColumns('"ttlBucket"', 'exposed', 'active')},
            coalesce(sum("count") FILTER (WHERE edge = 0 AND "hour" < $1::timestamptz), 0)::float8 AS kn,
            coalesce(sum("count") FILTER (WHERE edge = 1 AND "hour" < $1::timestamptz), 0)::float8 AS gn,
            coalesce(sum("count") FILTER (WHERE edge = 0 AND "hour" < $2::timestamptz), 0)::float8 AS kt,
            coalesce(sum("count") FILTER (WHERE edge = 1 AND "hour" < $2::timestamptz), 0)::float8 AS gt,
            coalesce(sum("count") FILTER (WHERE edge = 0), 0)::float8 AS "all"
       FROM "TokenTimeline" GROUP BY 1, 2, 3, 4, 5`,
    [hAt, hThen],
  );
  const within = (col: string, from: string, to: string) => `${col} BETWEEN ${from}::timestamptz AND ${to}::timestamptz`;
  const near = (from: string, to: string) => ['"firstSeenAt"', '"revokedAt"', '"expiresAt"'].map((c) => within(c, from, to)).join(' OR ');
  const edgesP = db.query<ClassFigures>(
    `SELECT ${classColumns('hf_ttl_bucket("ttlSeconds", "expiresAt")', `exposure = 'exposed'`, `status = 'active'`)},
            count(*) FILTER (WHERE ${within('"firstSeenAt"', '$1', '$2')})::float8 AS kn,
            count(*) FILTER (WHERE ${within('e', '$1', '$2')})::float8 AS gn,
            count(*) FILTER (WHERE ${within('"firstSeenAt"', '$3', '$4')})::float8 AS kt,
            count(*) FILTER (WHERE ${within('e', '$3', '$4')})::float8 AS gt,
            0::float8 AS "all"
       FROM (SELECT *, hf_token_ended_at("firstSeenAt", "revokedAt", "expiresAt") AS e FROM "Token"
              WHERE ${near('$1', '$2')} OR ${near('$3', '$4')}) t
      GROUP BY 1, 2, 3, 4, 5`,
    [hAt, at, hThen, then],
  );
  const byClass = new Map<string, ClassFigures>();
  for (const r of [...(await timelineP), ...(await edgesP)]) {
    const key = `${r.binding}/${r.b}/${r.exposed}/${r.privileged}/${r.active}`;
    const c = byClass.get(key);
    if (!c) byClass.set(key, { ...r, b: Number(r.b), kn: Number(r.kn), gn: Number(r.gn), kt: Number(r.kt), gt: Number(r.gt), all: Number(r.all) });
    else for (const k of ['kn', 'gn', 'kt', 'gt', 'all'] as const) c[k] += Number(r[k]);
  }
  return [...byClass.values()];
}

/**
 * Live tokens at each instant that carry an unbound_high_risk finding still open then: driven by
 * those findings (a few per cent of the tokens) joined to their tokens. PostgreSQL hash-joins them
 * (it reads every token once: ~0.45 s at 1 M tokens, the Overview's slowest statement).
 */
async function unboundHighRisk(db: Database, at: string, then: string): Promise<{ un: number; ut: number }> {
  const open = (p: string) => `(f.status <> 'resolved' OR f."resolvedAt" > ${p}::timestamptz)`;
  const live = (p: string) => `t."firstSeenAt" <= ${p}::timestamptz AND (t."revokedAt" IS NULL OR t."revokedAt" > ${p}::timestamptz) AND (t."expiresAt" IS NULL OR t."expiresAt" > ${p}::timestamptz)`;
  const [r] = await db.query<{ un: number; ut: number }>(
    `SELECT count(*) FILTER (WHERE ${open('$1')} AND ${live('$1')})::int AS un,
            count(*) FILTER (WHERE ${open('$2')} AND ${live('$2')})::int AS ut
       FROM "Finding" f JOIN "Token" t ON t.id = f."tokenId"
      WHERE f.rule = 'unbound_high_risk'`,
    [at, then],
  );
  return { un: Number(r?.un ?? 0), ut: Number(r?.ut ?? 0) };
}

/** A trend from tokenFigures' classes, at now (`n`) or at the window's start (`t`). */
function trendOf(classes: ClassFigures[], k: 'n' | 't', unboundHighRisk: number): Trend {
  const known = (c: ClassFigures) => (k === 'n' ? c.kn : c.kt);
  const live = (c: ClassFigures) => known(c) - (k === 'n' ? c.gn : c.gt);
  const sum = (f: (c: ClassFigures) => number, only: (c: ClassFigures) => boolean = () => true) => classes.reduce((a, c) => a + (only(c) ? f(c) : 0), 0);
  const weight = (c: ClassFigures) => live(c) * (c.privileged ? 3 : 1);
  const constrained = sum(weight, (c) => c.binding !== 'bearer');
  return {
    tokens: sum(known),
    bearer: sum(known, (c) => c.binding === 'bearer'),
    mtls: sum(known, (c) => c.binding === 'mtls'),
    dpop: sum(known, (c) => c.binding === 'dpop'),
    unboundHighRisk,
    exposedActive: sum(live, (c) => c.exposed),
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
  const unboundP = unboundHighRisk(db, nowIso, thenIso);
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
  const mixFrom = hourOf(thenIso);
  const mixP = db.query<{ start: string; binding: string; n: number }>(
    `SELECT ${bucketStartSql(bucket, '"hour"')} AS start, "binding" AS binding, sum("count")::int AS n
       FROM "EventBindingRollup" WHERE "hour" >= $1::timestamptz AND "hour" < $2::timestamptz
      GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1, 2`,
    [mixFrom, nowIso],
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
    `SELECT i.id::text, i.name, i.kind, c.score, c.n, c.critical, c.high, c.radius
       FROM (SELECT "identityId", ${IDENTITY_SCORE_EXPR} AS score, count(*)::int AS n,
                    count(*) FILTER (WHERE severity = 'critical')::int AS critical, count(*) FILTER (WHERE severity = 'high')::int AS high,
                    coalesce(sum("blastRadius"), 0)::int AS radius
               FROM "Finding" WHERE status = 'open' AND "identityId" IS NOT NULL GROUP BY "identityId") c
       JOIN "Identity" i ON i.id = c."identityId"
      ORDER BY c.critical DESC, c.high DESC, c.radius DESC, i.name LIMIT 10`,
  );
  const [figures, unbound, [f], mix, failuresOverTime, top] = await Promise.all([tokenFiguresP, unboundP, fP, mixP, failuresOverTimeP, topP]);
  const [nowT, thenT] = [trendOf(figures, 'n', unbound.un), trendOf(figures, 't', unbound.ut)];
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
  for (const c of figures) {
    const b = ttl[c.b];
    if (b && c.active && (c.binding === 'bearer' || c.binding === 'mtls' || c.binding === 'dpop')) b[c.binding] += c.all;
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
