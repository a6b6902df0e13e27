// The enforcement what-if over the evidence store: every request of the range in the policy's scope
// (evidence."Usage", hourly aggregates kept 400 days) in CONTRACT.md's categories, totals and ranked
// rows per identity, token, client network and route, aggregated by the database on one snapshot:
// one pass over the range's usage rows ranks tokens and identities by three figures and sums the
// rest per client network × route × category (a few thousand groups); the ranked tokens and
// identities are then summed in full from their own rows, read through the token and identity
// indexes. (One statement with every figure for every token took 25 s at 1 M tokens, most of it
// spilling a 14-aggregate hash table and sorting the whole range to match refusals.)
//
// Usage rows carry no HTTP status. Verdicts mostly say whether the gateway refused (a mismatch or a
// missing proof is only given to refused requests); where they do not (an enforcing gateway refusing
// a bearer token still yields bearer_unbound), the notable rows, which keep each such request with
// its status, say how many were refused: those move to alreadyRefused, taken from the matching usage
// groups (same token, identity, gateway, route, client network, credential, verdict, reason).
// The range is read in whole hours, as the aggregates are kept: from rounded down, to rounded up.
import type pg from 'pg';
import { withClientTransaction } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import { VERDICTS } from '../../domain/types.ts';
import { verdictCode, verdictCodeListSql } from '../../domain/verdict-codes.ts';
import { HoldfastError } from '../../errors.ts';
import {
  BROKEN_REASONS, classificationTable, emptyBroken, emptyCounts, emptyPresented, MISSING_PROOF_REASONS, rankRows, REFUSED_VERDICTS,
  SIMULATION_CATEGORIES, SimulationError, spoofedPathCategory, unknownWords, validateRange,
  type IdentityImpact, type ImpactRow, type SimulationInput, type SimulationPolicy, type SimulationResult, type TokenBinding, type TokenImpact,
} from '../../simulate/index.ts';
import { DIM } from '../evidence/dims.ts';
import { policyScopeSql, resolveScope, scopeIsEmpty, ttlSql, type ResolvedScope, type SqlArg } from './scope.ts';
import { simulateOnColumns } from './simulate-columns.ts';
import { spoofedPathLinesSql } from './spoofed-paths.ts';
import { isCacheTooLarge, usageCacheOf, type CachedUsage, type UsageColumnsCache } from './usage-cache.ts';

const HOUR_MS = 3_600_000;
export const DEFAULT_ROW_LIMIT = 50;
export const MAX_ROW_LIMIT = 500;

type Query = <T>(sql: string, params: unknown[]) => Promise<T[]>;
type Reader = Query & { client?: pg.ClientBase };

/**
 * The simulation's statements on one snapshot, with room to aggregate in memory: at a million
 * tokens the per-token groups are ~130 MB, which the default work_mem (4 MB) would spill to disk.
 * JIT is off: compiling these expression-heavy statements took ~4 s of a 1 M-token run, more than
 * it saved. PostgreSQL only; PGlite runs the statements as they are.
 */
async function inReadSnapshot<R>(db: Database, fn: (q: Reader) => Promise<R>): Promise<R> {
  if (db.kind !== 'postgres' || !db.pool) return fn((sql, params) => db.query(sql, params));
  return withClientTransaction(db.pool, async (c) => {
    await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await c.query(`SET LOCAL work_mem = '256MB'`);
    await c.query(`SET LOCAL jit = off`);
    return fn(Object.assign(async (sql: string, params: unknown[]) => (await c.query(sql, params)).rows, { client: c }));
  });
}

/**
 * Notable rows (alias `n`) the gateway refused though their verdict does not say so: a status outside
 * 2xx and a verdict outside REFUSED_VERDICTS. Word for word the predicate of the partial index
 * "Notable_refused_unsaid_idx" (migration 20261209100000), so the planner can use it.
 */
export function refusedUnsaidSql(n: string): string {
  return `(${n}."httpStatus" < 200 OR ${n}."httpStatus" >= 300) AND ${n}."verdict" NOT IN ${verdictCodeListSql(REFUSED_VERDICTS)}`;
}

/** Slot of a token binding in the classifier's lookup arrays. */
const BINDING_SLOT: Record<TokenBinding, number> = { bearer: 0, mtls: 1, dpop: 2, unknown: 3 };

/** Whole hours covering [from, to). */
export function hourRange(from: Date, to: Date): { from: Date; to: Date } {
  return { from: new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS), to: new Date(Math.ceil(to.getTime() / HOUR_MS) * HOUR_MS) };
}

export interface AggRow {
  dim: 'all' | 'identity' | 'token' | 'network' | 'route';
  key: string | null;
  name: string | null;
  kind: string | null;
  identityId: string | null;
  identityName: string | null;
  binding: string | null;
  ttl: number | null;
  rows: number;
  total: number;
  c0: number; c1: number; c2: number; c3: number; c4: number; c5: number; c6: number;
  b0: number; b1: number; b2: number; b3: number; b4: number;
  pc: number; pj: number;
  ex: string | null;
}

/**
 * Requests of a usage group that belong in another category than the group's verdict says: ones the
 * gateway refused though the verdict does not say so (to alreadyRefused), and lines of spoofed paths
 * (to attacksStopped once per path, the path's other lines to sameAttackOtherHops). `cat`/`broken`:
 * where they are taken from.
 */
export interface Move {
  tok: string | null;
  idn: string | null;
  route: number | null;
  network: number | null;
  pres: number;
  moved: number;
  cat: number;
  broken: number;
  to: number;
}

/** Requests refused though their verdict does not say so, per usage group: token, identity, dimension numbers (NULL: none), verdict code, how many (`r`). */
export interface RefusedRow {
  tok: string | null;
  idn: string | null;
  gateway: number | null;
  route: number | null;
  network: number | null;
  cert: number | null;
  jkt: number | null;
  verdict: number;
  reason: number | null;
  r: number;
}

/** A row's figures from rows of (n, cat, broken, pres): the AggRow columns total … pj, ex. */
function PIVOT(exSql = 'max(ex)'): string {
  return [
    'sum(n) AS total',
    ...SIMULATION_CATEGORIES.map((_, i) => `coalesce(sum(n) FILTER (WHERE cat = ${i}), 0) AS c${i}`),
    ...BROKEN_REASONS.map((_, i) => `coalesce(sum(n) FILTER (WHERE broken = ${i}), 0) AS b${i}`),
    'coalesce(sum(n) FILTER (WHERE pres = 1), 0) AS pc',
    'coalesce(sum(n) FILTER (WHERE pres = 2), 0) AS pj',
    `${exSql} AS ex`,
  ].join(', ');
}

const FIGURE_COLUMNS = ['total', ...SIMULATION_CATEGORIES.map((_, i) => `c${i}`), ...BROKEN_REASONS.map((_, i) => `b${i}`), 'pc', 'pj'];
/** The figures of a PIVOT relation, in AggRow's order. */
const FIGURES = (alias: string) => [...FIGURE_COLUMNS.map((c) => `${alias}.${c}`), `${alias}.ex`].join(', ');
/** The same columns empty (ranked keys whose figures the second statement reads). */
const NO_FIGURES = [...FIGURE_COLUMNS.map((c) => `NULL::float8 AS ${c}`), 'NULL::text AS ex'].join(', ');

/** Names of the network and route rows of requests that named none (the requests list cannot filter those). */
export const UNKNOWN_NETWORK = '(unknown network)';
export const UNKNOWN_ROUTE = '(unknown route)';

export interface RunOptions {
  /**
   * `auto` (default, a long-running server): the columns kept in memory (usage-cache.ts) once they
   * have been read; before that — the first simulation after a start — the SQL statements answer
   * (reading the columns costs more than one simulation by SQL) and the columns are read in the
   * background for the next one. `columns`: the columns, read first if need be (tests, the bench's
   * cold figure). Both answer by SQL when the range holds more rows than the cache may keep.
   * `sql`: the statements only — the reference the columns are tested against, and the right
   * engine for a process that simulates once (`holdfast simulate`).
   */
  engine?: 'auto' | 'columns' | 'sql';
  /** Usage rows the cache may hold (default MAX_CACHED_ROWS). */
  maxCachedRows?: number;
  /** Told which engine answered (the API says it in its Server-Timing header). */
  onEngine?: (engine: 'columns' | 'sql') => void;
}

/** The reason numbers that say the client's own proof was missing. */
async function missingProofIds(db: Database): Promise<number[]> {
  return (await db.query<{ id: number }>(`SELECT id FROM evidence."Dim" WHERE kind = $1 AND value = ANY($2::text[])`, [DIM.reason, [...MISSING_PROOF_REASONS]])).map((r) => Number(r.id));
}

/**
 * Reads the usage columns of the last `days` into memory, so that the first simulation after a
 * start (lib/server/start.ts) is answered from them rather than by the statements. Resolves to what
 * was read; rejects when the range holds more rows than the cache may keep (simulations then
 * answer by SQL) or the database fails.
 */
export async function preloadUsageColumns(db: Database, o: { days: number; now?: Date; maxCachedRows?: number }): Promise<{ hours: number; rows: number; tokens: number }> {
  const now = o.now ?? new Date();
  const range = hourRange(new Date(now.getTime() - o.days * 86_400_000), now);
  const usage = await readColumns(db, usageCacheOf(db), range, await missingProofIds(db), o.maxCachedRows);
  return usage.loaded;
}

/** Brings the cache's columns of `range` up to date on a snapshot of their own, once the simulations queued on the cache are done. */
function readColumns(db: Database, cache: UsageColumnsCache, range: { from: Date; to: Date }, missingIds: number[], maxCachedRows?: number): Promise<CachedUsage> {
  return cache.exclusive(() => inReadSnapshot(db, (q) => cache.refresh({ rows: q, client: q.client }, range, missingIds, maxCachedRows)));
}

/** Runs the simulation (the policy is expected validated: lib/simulate parsePolicy). */
export async function runSimulation(db: Database, input: SimulationInput, opts: RunOptions = {}): Promise<SimulationResult> {
  const t0 = performance.now();
  const { policy } = input;
  let range: { from: Date; to: Date };
  let scope: ResolvedScope;
  try {
    range = hourRange(validateRange(input.range.from, input.range.to).from, input.range.to);
    scope = await resolveScope(db, policy);
  } catch (e) {
    throw toHoldfastError(e);
  }
  const limit = Math.max(1, Math.min(MAX_ROW_LIMIT, input.limit ?? DEFAULT_ROW_LIMIT));
  const table = classificationTable(policy.require, VERDICTS);
  const missingIds = await missingProofIds(db);
  const cat = (c: string) => SIMULATION_CATEGORIES.indexOf(c as never);
  // The classifier's table as two arrays indexed by verdict code, missing proof, binding and TTL (the slot below).
  const size = Math.max(...VERDICTS.map((v) => verdictCode(v))) * 16 + 16;
  const lookup = { cat: new Array<number>(size).fill(cat('unaffected')), broken: new Array<number>(size).fill(-1) };
  for (const r of table) {
    const k = verdictCode(r.verdict) * 16 + (r.missingProof ? 8 : 0) + BINDING_SLOT[r.binding] * 2 + (r.ttlOverLimit ? 1 : 0);
    lookup.cat[k] = cat(r.category);
    lookup.broken[k] = r.brokenBy === null ? -1 : BROKEN_REASONS.indexOf(r.brokenBy);
  }
  const params: unknown[] = [
    range.from, range.to, // 1, 2
    policy.maxTtlSeconds ?? 0, missingIds, // 3, 4
    lookup.cat, lookup.broken, // 5, 6
  ];
  // Optional scope conditions take their parameters only when present (an unused $n has no type).
  const arg = (v: unknown, type: string) => `$${params.push(v)}::${type}`;
  const inScope = policyScopeSql(scope, policy, arg);
  const where = [`u.hour >= $1 AND u.hour < $2`, ...inScope.conds].join(' AND ');
  const joins = inScope.joins;
  // A join on the classifier's table would multiply the rows before filtering them: an array index per
  // row instead, the slot computed once per row and indexing both arrays. The binding is compared as
  // the enum: a cast to text looks its label up for every row.
  const slot = `(u.verdict * 16 + CASE WHEN u.reason = ANY($4::int[]) THEN 8 ELSE 0 END
        + CASE t.binding WHEN 'bearer' THEN 0 WHEN 'mtls' THEN 2 WHEN 'dpop' THEN 4 ELSE 6 END
        + CASE WHEN $3::int > 0 AND ${ttlSql('t')} > $3::int THEN 1 ELSE 0 END + 1)`;
  const catSql = `($5::int2[])[${slot}]`;
  const brokenSql = `($6::int2[])[${slot}]`;
  // What the request presented: 1 a certificate, 2 a DPoP key (and no certificate), 0 neither.
  const presSql = `CASE WHEN u.cert IS NOT NULL THEN 1 WHEN u.jkt IS NOT NULL THEN 2 ELSE 0 END`;
  /** Statement parameters: the shared ones, then the statement's own. */
  const withArgs = () => {
    const p = [...params];
    return { p, arg: (v: unknown, type: string) => `$${p.push(v)}::${type}` };
  };
  /** `col` in `ids` (uuids), null ids matching a null column. */
  const inIds = (col: string, ids: (string | null)[], a: SqlArg) => {
    const some = ids.filter((x): x is string => x !== null);
    const alts = [...(some.length ? [`${col} = ANY(${a(some, 'uuid[]')})`] : []), ...(ids.includes(null) ? [`${col} IS NULL`] : [])];
    return alts.length ? `(${alts.join(' OR ')})` : 'false';
  };
  if (scopeIsEmpty(scope)) return shape(policy, range, [], performance.now() - t0);

  /** Notable rows the gateway refused though their verdict does not say so, per usage group (their key in the usage rows' terms). */
  const refusedGroups = (q: Query): Promise<RefusedRow[]> =>
    // Grouped by the stored values first, then each group's values resolved to dimension numbers
    // (a few thousand lookups, not one per row); read through "Notable_refused_unsaid_idx", whose
    // predicate is refusedUnsaidSql (migration 20261209100000).
    q<RefusedRow>(
      `SELECT g.tok, g.idn, gd.id AS gateway, g.route, g.network, coalesce(cd.id, sd.id) AS cert, jd.id AS jkt, g.verdict, rd.id AS reason, sum(g.r)::bigint AS r
         FROM (SELECT n."tokenId" AS tok, n."identityId" AS idn, n.gateway, n.route, n.network, n."x5tS256", n."sha1Hex", n.jkt, n.verdict, n.reason, count(*) AS r
                 FROM evidence."Notable" n
                WHERE n."occurredAt" >= $1 AND n."occurredAt" < $2 AND ${refusedUnsaidSql('n')} AND ($4::int[] IS NULL OR n.ns = ANY($4::int[]))
                GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) g
         LEFT JOIN evidence."Dim" gd ON gd.kind = ${DIM.gateway} AND gd.value = g.gateway
         LEFT JOIN evidence."Dim" cd ON cd.kind = ${DIM.cert} AND cd.value = g."x5tS256"
         LEFT JOIN evidence."Dim" sd ON sd.kind = ${DIM.certSha1} AND sd.value = g."sha1Hex" AND g."x5tS256" IS NULL
         LEFT JOIN evidence."Dim" jd ON jd.kind = ${DIM.jkt} AND jd.value = g.jkt
         LEFT JOIN evidence."Dim" rd ON rd.kind = ${DIM.reason} AND rd.value = g.reason
        WHERE ($3::int[] IS NULL OR gd.id = ANY($3::int[]))
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9`,
      [range.from, range.to, scope.gateways, scope.ns],
    );

  /** Usage groups the notable rows say were refused though their verdict does not: moved to alreadyRefused (simulate-columns.ts matches the same groups in memory). */
  const refusalMoves = async (q: Query): Promise<Move[]> => {
    const refRows = await refusedGroups(q);
    if (!refRows.length) return [];
    const s = withArgs();
    const col = <K extends keyof (typeof refRows)[number]>(k: K) => refRows.map((r) => r[k]);
    const ref = `unnest(${s.arg(col('tok'), 'uuid[]')}, ${s.arg(col('idn'), 'uuid[]')}, ${s.arg(col('gateway'), 'int[]')}, ${s.arg(col('route'), 'int[]')}, ${s.arg(col('network'), 'int[]')}, ${s.arg(col('cert'), 'int[]')}, ${s.arg(col('jkt'), 'int[]')}, ${s.arg(col('verdict'), 'int2[]')}, ${s.arg(col('reason'), 'int[]')}, ${s.arg(col('r'), 'int8[]')})
        AS ref(tok, idn, gateway, route, network, cert, jkt, verdict, reason, r)`;
    const NIL = `'00000000-0000-0000-0000-000000000000'::uuid`;
    // The usage groups those refusals belong to (read by token through its index: same token,
    // identity, gateway, route, client network, credential, verdict and reason), each taking what is
    // left of them in order of what was presented.
    return q<Move>(
      `SELECT tok, idn, route, network, pres, moved::float8 AS moved, cat, broken, ${cat('alreadyRefused')} AS "to" FROM (
         SELECT g.*, least(g.n, greatest(0, g.r - (sum(g.n) OVER (PARTITION BY g.tok, g.idn, g.gateway, g.route, g.network, g.cert, g.jkt, g.verdict, g.reason ORDER BY g.pres ROWS UNBOUNDED PRECEDING) - g.n))) AS moved
           FROM (
             SELECT u."tokenId" AS tok, u."identityId" AS idn, u.gateway, u.route, u.network, u.cert, u.jkt, u.verdict, u.reason, ${presSql} AS pres,
                    max(ref.r) AS r, sum(u.count)::bigint AS n, max(${catSql}) AS cat, max(${brokenSql}) AS broken
               FROM evidence."Usage" u
               JOIN ${ref} ON coalesce(ref.tok, ${NIL}) = coalesce(u."tokenId", ${NIL}) AND coalesce(ref.idn, ${NIL}) = coalesce(u."identityId", ${NIL})
                       AND coalesce(ref.gateway, 0) = coalesce(u.gateway, 0) AND coalesce(ref.route, 0) = coalesce(u.route, 0) AND coalesce(ref.network, 0) = coalesce(u.network, 0)
                       AND coalesce(ref.cert, 0) = coalesce(u.cert, 0) AND coalesce(ref.jkt, 0) = coalesce(u.jkt, 0)
                       AND ref.verdict = u.verdict AND coalesce(ref.reason, 0) = coalesce(u.reason, 0)
               ${joins}
              WHERE ${where} AND ${inIds('u."tokenId"', [...new Set(col('tok'))], s.arg)}
              GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10
           ) g
       ) h WHERE moved > 0`,
      s.p,
    );
  };

  /**
   * Lines of spoofed paths (spoofed-paths.ts) in another category than their own verdict gives them
   * (lib/simulate spoofedPathCategory): the backend compared the token with the forged certificate and
   * said ok; the edge saw a bound token without its certificate (bound_not_enforced / no_certificate)
   * or nothing wrong. Every hop's line is one request of `total`, as always; the path's attack counts
   * once, on its attack line (to attacksStopped), and its other lines are sameAttackOtherHops. Only
   * lines the gateway answered 2xx move: a refused one is alreadyRefused (refusalMoves).
   */
  const spoofedMoves = async (q: Query): Promise<Move[]> => {
    const s = withArgs();
    const to = (attackLine: boolean) => s.arg(SIMULATION_CATEGORIES.map((c) => cat(spoofedPathCategory(c, attackLine))), 'int2[]');
    const lines = spoofedPathLinesSql({
      select: `u."tokenId" AS tok, u."identityId" AS idn, u.route, u.network, ${presSql} AS pres, ${catSql} AS cat, ${brokenSql} AS broken`,
      joins, where, from: '$1', to: '$2',
    });
    return q<Move>(
      `SELECT tok, idn, route, network, pres, count(*)::float8 AS moved, cat, broken, "to" FROM (
         SELECT x.*, (CASE WHEN x."attackLine" THEN ${to(true)} ELSE ${to(false)} END)[x.cat + 1] AS "to" FROM (${lines}) x WHERE x.accepted
       ) y WHERE "to" <> cat
       GROUP BY tok, idn, route, network, pres, cat, broken, "to"`,
      s.p,
    );
  };

  /** The requests in scope, one row per usage row, plus the requests moved to another category (Move); `only`: of these tokens or identities. */
  const requestRows = (moves: Move[], a: SqlArg, only?: { toks: (string | null)[]; idns: (string | null)[] }) => {
    const only_ = (tok: string, idn: string) => (only ? ` AND (${inIds(tok, only.toks, a)} OR ${inIds(idn, only.idns, a)})` : '');
    const usage = `SELECT tok, idn, route, network, pres, n, ($5::int2[])[slot] AS cat, ($6::int2[])[slot] AS broken, ex FROM (
        SELECT u."tokenId" AS tok, u."identityId" AS idn, u.route, u.network, ${presSql} AS pres, u.count::float8 AS n, ${slot} AS slot, u.exemplar AS ex
          FROM evidence."Usage" u ${joins}
         WHERE ${where}${only_('u."tokenId"', 'u."identityId"')}
         OFFSET 0) s`;
    if (!moves.length) return usage;
    const col = <K extends keyof Move>(k: K) => moves.map((m) => m[k]);
    const m = `unnest(${a(col('tok'), 'uuid[]')}, ${a(col('idn'), 'uuid[]')}, ${a(col('route'), 'int[]')}, ${a(col('network'), 'int[]')}, ${a(col('pres'), 'int[]')}, ${a(col('moved'), 'float8[]')}, ${a(col('cat'), 'int2[]')}, ${a(col('broken'), 'int2[]')}, ${a(col('to'), 'int2[]')})
        AS m(tok, idn, route, network, pres, moved, cat, broken, "to") WHERE true${only_('m.tok', 'm.idn')}`;
    return `${usage}
      UNION ALL SELECT m.tok, m.idn, m.route, m.network, m.pres, -m.moved, m.cat, m.broken, NULL FROM ${m}
      UNION ALL SELECT m.tok, m.idn, m.route, m.network, m.pres, m.moved, m."to", (-1)::int2, NULL FROM ${m}`;
  };

  const engine = opts.engine ?? 'auto';
  let cache = engine === 'sql' ? null : usageCacheOf(db);
  if (cache && engine === 'auto' && !cache.hasRead()) {
    // A range too large, a database going away: the next simulation answers by SQL again.
    readColumns(db, cache, range, missingIds, opts.maxCachedRows).catch(() => {});
    cache = null;
  }
  const run = () => inReadSnapshot(db, async (q) => {
    if (cache) {
      try {
        // The columns first (their snapshot is taken before anything else is read), then the moves,
        // read while the columns are scanned.
        const usage = await cache.refresh({ rows: q, client: q.client }, range, missingIds, opts.maxCachedRows);
        const notable = async () => ({ refused: await refusedGroups(q), spoofed: await spoofedMoves(q) });
        const rows = await simulateOnColumns(q, { usage, notable, refusedTo: cat('alreadyRefused'), policy, scope, lookupCat: lookup.cat, lookupBroken: lookup.broken, limit });
        opts.onEngine?.('columns');
        return rows;
      } catch (e) {
        if (!isCacheTooLarge(e)) throw e;
      }
    }
    opts.onEngine?.('sql');
    const moves = [...(await refusalMoves(q)), ...(await spoofedMoves(q))];
    // 1. One pass over the range. Per token and per identity only what ranks them (would be refused,
    //    legitimate broken, total); per client network × route × what was presented × category the
    //    requests, a few thousand groups from which the totals and the network and route rows add up.
    //    The ranked rows' ORDER BY names g's columns: unqualified, `c1` would be the output's empty
    //    figure column of that name, and ties on requests refused were not broken by legitimate ones.
    const s1 = withArgs();
    const lim = s1.arg(limit, 'int');
    const first = await q<AggRow>(
      `WITH x AS (${requestRows(moves, s1.arg)}),
      g AS MATERIALIZED (
        SELECT GROUPING(tok, idn) AS gs, tok, idn, network, route, pres, cat, broken,
               sum(n) AS n, coalesce(sum(n) FILTER (WHERE cat IN (0, 1)), 0) AS w, coalesce(sum(n) FILTER (WHERE cat = 1), 0) AS c1,
               max(encode(ex, 'hex')) FILTER (WHERE cat IN (0, 1)) AS ex
          FROM x
         GROUP BY GROUPING SETS ((tok), (idn), (network, route, pres, cat, broken))
      ),
      nr AS MATERIALIZED (
        SELECT CASE WHEN GROUPING(network) = 0 THEN 'network' WHEN GROUPING(route) = 0 THEN 'route' ELSE 'all' END AS dim, network, route, ${PIVOT()}
          FROM g WHERE gs = 3
         GROUP BY GROUPING SETS ((), (network), (route))
      ),
      nrc AS (SELECT dim, count(*)::int AS rows FROM nr GROUP BY dim)
      (SELECT 'token' AS dim, tok::text AS key, NULL::text AS name, (SELECT count(*) FROM g WHERE gs = 1)::int AS rows, ${NO_FIGURES} FROM g WHERE gs = 1 ORDER BY g.w DESC, g.c1 DESC, g.n DESC, g.tok NULLS LAST LIMIT ${lim})
      UNION ALL (SELECT 'identity', idn::text, NULL, (SELECT count(*) FROM g WHERE gs = 2)::int, ${NO_FIGURES} FROM g WHERE gs = 2 ORDER BY g.w DESC, g.c1 DESC, g.n DESC, g.idn NULLS LAST LIMIT ${lim})
      UNION ALL (SELECT nr.dim, NULL, NULL, 1, ${FIGURES('nr')} FROM nr WHERE nr.dim = 'all')
      UNION ALL (SELECT nr.dim, nr.network::text, d.value, nrc.rows, ${FIGURES('nr')} FROM nr JOIN nrc ON nrc.dim = nr.dim LEFT JOIN evidence."Dim" d ON d.id = nr.network
                  WHERE nr.dim = 'network' ORDER BY nr.c0 + nr.c1 DESC, nr.c1 DESC, nr.total DESC, nr.network NULLS LAST LIMIT ${lim})
      UNION ALL (SELECT nr.dim, nr.route::text, d.value, nrc.rows, ${FIGURES('nr')} FROM nr JOIN nrc ON nrc.dim = nr.dim LEFT JOIN evidence."Dim" d ON d.id = nr.route
                  WHERE nr.dim = 'route' ORDER BY nr.c0 + nr.c1 DESC, nr.c1 DESC, nr.total DESC, nr.route NULLS LAST LIMIT ${lim})`,
      s1.p,
    );
    // 2. The ranked tokens and identities in full, from their own usage rows (read through the token
    //    and identity indexes).
    const toks = first.filter((r) => r.dim === 'token').map((r) => r.key);
    const idns = first.filter((r) => r.dim === 'identity').map((r) => r.key);
    if (!toks.length && !idns.length) return first;
    const s2 = withArgs();
    const only = { toks, idns };
    const detail = await q<AggRow>(
      `WITH x AS (${requestRows(moves, s2.arg, only)}),
      agg AS (
        SELECT CASE WHEN GROUPING(tok) = 0 THEN 'token' ELSE 'identity' END AS dim, tok, idn, ${PIVOT(`max(encode(ex, 'hex')) FILTER (WHERE cat IN (0, 1))`)}
          FROM x
         GROUP BY GROUPING SETS ((tok), (idn))
      )
      SELECT agg.dim, coalesce(agg.tok::text, agg.idn::text) AS key, CASE agg.dim WHEN 'identity' THEN i.name ELSE tk.fingerprint END AS name,
             i.kind, coalesce(agg.idn, tk."identityId")::text AS "identityId", ti.name AS "identityName", tk.binding::text AS binding, ${ttlSql('tk')} AS ttl,
             ${FIGURES('agg')}
        FROM agg
        LEFT JOIN "Identity" i ON i.id = agg.idn AND agg.dim = 'identity'
        LEFT JOIN "Token" tk ON tk.id = agg.tok AND agg.dim = 'token'
        LEFT JOIN "Identity" ti ON ti.id = tk."identityId"
       WHERE (agg.dim = 'token' AND ${inIds('agg.tok', toks, s2.arg)}) OR (agg.dim = 'identity' AND ${inIds('agg.idn', idns, s2.arg)})`,
      s2.p,
    );
    const counted = new Map(first.filter((r) => r.dim === 'token' || r.dim === 'identity').map((r) => [r.dim, r.rows]));
    return [...first.filter((r) => r.dim !== 'token' && r.dim !== 'identity'), ...detail.map((r) => ({ ...r, rows: counted.get(r.dim) ?? 0 }))];
  });
  const rows = cache ? await cache.exclusive(run) : await run();
  return shape(policy, range, rows, performance.now() - t0);
}

function counts(r: AggRow | undefined) {
  const c = emptyCounts();
  if (!r) return c;
  c.total = Number(r.total);
  [c.attacksStopped, c.legitimateBroken, c.alreadyRefused, c.alreadyInvalid, c.unaffected, c.unknown, c.sameAttackOtherHops] = [r.c0, r.c1, r.c2, r.c3, r.c4, r.c5, r.c6].map(Number) as [number, number, number, number, number, number, number];
  c.wouldBeRefused = c.attacksStopped + c.legitimateBroken;
  return c;
}

function impact(r: AggRow, name: string): ImpactRow {
  const brokenBy = emptyBroken();
  BROKEN_REASONS.forEach((b, i) => (brokenBy[b] = Number(r[`b${i}` as 'b0'])));
  const total = Number(r.total);
  const presented = { certificate: Number(r.pc), dpopKey: Number(r.pj), none: total - Number(r.pc) - Number(r.pj) };
  return { name, ...counts(r), brokenBy, presented, exemplarKey: r.ex };
}

function bindingOf(b: string | null): TokenBinding {
  return b === 'bearer' || b === 'mtls' || b === 'dpop' ? b : 'unknown';
}

/** Token rows show a fingerprint stub, never the fingerprint. */
function tokenStub(fp: string | null): string {
  return fp ? `${fp.slice(0, 10)}…` : '(unknown token)';
}

function shape(policy: SimulationPolicy, range: { from: Date; to: Date }, rows: AggRow[], tookMs: number): SimulationResult {
  const all = rows.find((r) => r.dim === 'all');
  const of = (d: AggRow['dim']) => rows.filter((r) => r.dim === d);
  const requests = counts(all);
  const top = all ? impact(all, 'all') : null;
  const days = Math.max(1, (range.to.getTime() - range.from.getTime()) / 86_400_000);
  const identities: IdentityImpact[] = of('identity').map((r) => ({ ...impact(r, r.name ?? '(unknown identity)'), identityId: r.key, kind: r.kind }));
  const tokens: TokenImpact[] = of('token').map((r) => ({
    ...impact(r, tokenStub(r.name)), tokenId: r.key, identityId: r.identityId, identityName: r.identityName, binding: r.key ? bindingOf(r.binding) : 'unknown', ttlSeconds: r.ttl === null ? null : Number(r.ttl),
  }));
  const networks = of('network').map((r) => impact(r, r.name ?? UNKNOWN_NETWORK));
  const routes = of('route').map((r) => impact(r, r.name ?? UNKNOWN_ROUTE));
  const n = (d: AggRow['dim']) => Number(of(d)[0]?.rows ?? 0);
  return {
    policy,
    range: { from: range.from.toISOString(), to: range.to.toISOString() },
    requests,
    warnings: requests.unknown > 0 ? [unknownWords(requests.unknown, requests.total)] : [],
    perDay: { wouldBeRefused: round(requests.wouldBeRefused / days), attacksStopped: round(requests.attacksStopped / days), legitimateBroken: round(requests.legitimateBroken / days) },
    brokenBy: top?.brokenBy ?? emptyBroken(),
    presented: top?.presented ?? emptyPresented(),
    identities: rankRows(identities),
    tokens: rankRows(tokens),
    networks: rankRows(networks),
    routes: rankRows(routes),
    counts: { identities: n('identity'), tokens: n('token'), networks: n('network'), routes: n('route') },
    tookMs: Math.round(tookMs),
  };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** A SimulationError as the HTTP and CLI edges report it (422 / exit 2, one line). */
export function toHoldfastError(e: unknown): unknown {
  if (e instanceof SimulationError) return new HoldfastError('validation_failed', e.message, { reason: e.code, errors: [{ path: 'policy', message: e.message }] });
  return e;
}
