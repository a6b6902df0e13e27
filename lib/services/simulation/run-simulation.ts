// The enforcement what-if over the evidence store: every request of the range in the policy's scope
// (evidence."Usage", hourly aggregates kept 400 days) in CONTRACT.md's categories, totals and ranked
// rows per identity, token, client network and route, in one statement aggregated by the database.
//
// Usage rows carry no HTTP status. Verdicts mostly say whether the gateway refused (a mismatch or a
// missing proof is only given to refused requests); where they do not (an enforcing gateway refusing
// a bearer token still yields bearer_unbound), the notable rows, which keep each such request with
// its status, say how many were refused: those move to alreadyRefused, taken from the matching usage
// groups (same token, identity, gateway, credential, verdict, reason) in route and network order.
// The range is read in whole hours, as the aggregates are kept: from rounded down, to rounded up.
import type { Database } from '../../db/open.ts';
import { VERDICTS } from '../../domain/types.ts';
import { verdictCode, verdictCodeListSql } from '../../domain/verdict-codes.ts';
import { HoldfastError } from '../../errors.ts';
import {
  BROKEN_REASONS, classificationTable, emptyBroken, emptyCounts, emptyPresented, globToLike, MISSING_PROOF_REASONS, rankRows, REFUSED_VERDICTS,
  SIMULATION_CATEGORIES, SimulationError, validateRange,
  type IdentityImpact, type ImpactRow, type SimulationInput, type SimulationPolicy, type SimulationResult, type TokenBinding, type TokenImpact,
} from '../../simulate/index.ts';
import { DIM } from '../evidence/dims.ts';
import { resolveScope, scopeIsEmpty, usageScopeSql, type ResolvedScope } from './scope.ts';

const HOUR_MS = 3_600_000;
export const DEFAULT_ROW_LIMIT = 50;
export const MAX_ROW_LIMIT = 500;

/**
 * One statement with room to aggregate in memory: at a million tokens the per-token groups are
 * ~150 MB, which the default work_mem (4 MB) would spill to disk. PostgreSQL only; PGlite as is.
 */
async function queryWithMemory<T>(db: Database, sql: string, params: unknown[]): Promise<T[]> {
  if (db.kind !== 'postgres' || !db.pool) return db.query<T>(sql, params);
  const c = await db.pool.connect();
  try {
    await c.query('BEGIN READ ONLY');
    await c.query(`SET LOCAL work_mem = '256MB'`);
    const r = await c.query(sql, params);
    await c.query('COMMIT');
    return r.rows as T[];
  } catch (e) {
    await c.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    c.release();
  }
}

/** Slot of a token binding in the classifier's lookup arrays. */
const BINDING_SLOT: Record<TokenBinding, number> = { bearer: 0, mtls: 1, dpop: 2, unknown: 3 };

/** A token's lifetime, seconds: as the inventory recorded it, else from its iat and exp. */
function ttlSql(t: string): string {
  return `coalesce(${t}."ttlSeconds", round(extract(epoch FROM ${t}."expiresAt" - ${t}."issuedAt"))::int)`;
}

/** Whole hours covering [from, to). */
export function hourRange(from: Date, to: Date): { from: Date; to: Date } {
  return { from: new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS), to: new Date(Math.ceil(to.getTime() / HOUR_MS) * HOUR_MS) };
}

interface AggRow {
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
  c0: number; c1: number; c2: number; c3: number; c4: number;
  b0: number; b1: number; b2: number; b3: number; b4: number;
  pc: number; pj: number;
  ex: string | null;
}

/** Names of the network and route rows of requests that named none (the requests list cannot filter those). */
export const UNKNOWN_NETWORK = '(unknown network)';
export const UNKNOWN_ROUTE = '(unknown route)';

/** Runs the simulation (the policy is expected validated: lib/simulate parsePolicy). */
export async function runSimulation(db: Database, input: SimulationInput): Promise<SimulationResult> {
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
  const idSel = policy.scope?.identity ?? null;
  const table = classificationTable(policy.require, VERDICTS);
  const missingIds = (await db.query<{ id: number }>(`SELECT id FROM evidence."Dim" WHERE kind = $1 AND value = ANY($2::text[])`, [DIM.reason, [...MISSING_PROOF_REASONS]])).map((r) => Number(r.id));
  const cat = (c: string) => SIMULATION_CATEGORIES.indexOf(c as never);
  // The classifier's table as two arrays indexed by verdict code, missing proof, binding and TTL (see SLOT_SQL).
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
    limit, // 7
  ];
  const needIdentity = Boolean(idSel?.kind || idSel?.nameGlob);
  // Optional scope conditions take their parameters only when present (an unused $n has no type).
  const arg = (v: unknown, type: string) => `$${params.push(v)}::${type}`;
  const conds = [`u.hour >= $1 AND u.hour < $2`];
  conds.push(...usageScopeSql(scope, policy, arg));
  if (idSel?.kind) conds.push(`i.kind = ${arg(idSel.kind, 'text')}`);
  if (idSel?.nameGlob) conds.push(`i.name LIKE ${arg(globToLike(idSel.nameGlob), 'text')}`);
  const where = conds.join(' AND ');
  const joins = `LEFT JOIN "Token" t ON t.id = u."tokenId" ${needIdentity ? `LEFT JOIN "Identity" i ON i.id = u."identityId"` : ''}`;
  // A join on the classifier's table would multiply the rows before filtering them: an array index per row instead.
  const slot = `(u.verdict * 16 + CASE WHEN u.reason = ANY($4::int[]) THEN 8 ELSE 0 END
        + CASE t.binding::text WHEN 'bearer' THEN 0 WHEN 'mtls' THEN 2 WHEN 'dpop' THEN 4 ELSE 6 END
        + CASE WHEN $3::int > 0 AND ${ttlSql('t')} > $3::int THEN 1 ELSE 0 END + 1)`;
  const catSql = `($5::int2[])[${slot}]`;
  const brokenSql = `($6::int2[])[${slot}]`;
  // Requests the gateway refused that the verdict does not say were refused (notable rows keep the status).
  const refRows = await db.query<{ tok: string | null; idn: string | null; gateway: number | null; cert: number | null; jkt: number | null; verdict: number; reason: number | null; r: number }>(
    `SELECT n."tokenId" AS tok, n."identityId" AS idn, gd.id AS gateway, coalesce(cd.id, sd.id) AS cert, jd.id AS jkt, n.verdict, rd.id AS reason, count(*)::bigint AS r
       FROM evidence."Notable" n
       LEFT JOIN evidence."Dim" gd ON gd.kind = ${DIM.gateway} AND gd.value = n.gateway
       LEFT JOIN evidence."Dim" cd ON cd.kind = ${DIM.cert} AND cd.value = n."x5tS256"
       LEFT JOIN evidence."Dim" sd ON sd.kind = ${DIM.certSha1} AND sd.value = n."sha1Hex" AND n."x5tS256" IS NULL
       LEFT JOIN evidence."Dim" jd ON jd.kind = ${DIM.jkt} AND jd.value = n.jkt
       LEFT JOIN evidence."Dim" rd ON rd.kind = ${DIM.reason} AND rd.value = n.reason
      WHERE n."occurredAt" >= $1 AND n."occurredAt" < $2 AND (n."httpStatus" < 200 OR n."httpStatus" >= 300) AND n.verdict NOT IN ${verdictCodeListSql(REFUSED_VERDICTS)}
        AND ($3::int[] IS NULL OR gd.id = ANY($3::int[])) AND ($4::int[] IS NULL OR n.ns = ANY($4::int[]))
      GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    [range.from, range.to, scope.gateways, scope.ns],
  );
  const withRefused = refRows.length > 0;
  let refArgs: string[] = [];
  if (withRefused) {
    const col = <K extends keyof (typeof refRows)[number]>(k: K) => refRows.map((r) => r[k]);
    refArgs = [arg(col('tok'), 'uuid[]'), arg(col('idn'), 'uuid[]'), arg(col('gateway'), 'int[]'), arg(col('cert'), 'int[]'), arg(col('jkt'), 'int[]'), arg(col('verdict'), 'int2[]'), arg(col('reason'), 'int[]'), arg(col('r'), 'int8[]')];
  }
  const NIL = `'00000000-0000-0000-0000-000000000000'::uuid`;
  const sql = `
    WITH ${withRefused ? `    ref AS (
      SELECT * FROM unnest(${refArgs.join(', ')}) AS r(tok, idn, gateway, cert, jkt, verdict, reason, r)
    ),
    -- The usage groups those refusals belong to, each taking what is left of them in route, network order.
    hit AS (
      SELECT g.*, least(g.n, greatest(0, g.r - (sum(g.n) OVER (PARTITION BY g.tok, g.idn, g.gateway, g.cert, g.jkt, g.verdict, g.reason ORDER BY g.route NULLS FIRST, g.network NULLS FIRST ROWS UNBOUNDED PRECEDING) - g.n)))::bigint AS moved
        FROM (
          SELECT u."tokenId" AS tok, u."identityId" AS idn, u.gateway, u.route, u.network, u.cert, u.jkt, u.verdict, u.reason, max(ref.r) AS r, sum(u.count)::bigint AS n,
                 max(${catSql}) AS cat, max(${brokenSql}) AS broken
            FROM evidence."Usage" u
            JOIN ref ON coalesce(ref.tok, ${NIL}) = coalesce(u."tokenId", ${NIL}) AND coalesce(ref.idn, ${NIL}) = coalesce(u."identityId", ${NIL})
                    AND coalesce(ref.gateway, 0) = coalesce(u.gateway, 0) AND coalesce(ref.cert, 0) = coalesce(u.cert, 0) AND coalesce(ref.jkt, 0) = coalesce(u.jkt, 0)
                    AND ref.verdict = u.verdict AND coalesce(ref.reason, 0) = coalesce(u.reason, 0)
            ${joins}
           WHERE ${where}
           GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
        ) g
    ),
` : ''}    x AS (
      SELECT u."tokenId" AS tok, u."identityId" AS idn, u.route, u.network, u.cert, u.jkt, u.count AS n, ${catSql} AS cat, ${brokenSql} AS broken, u.exemplar AS ex
        FROM evidence."Usage" u ${joins}
       WHERE ${where}
      ${withRefused ? `UNION ALL
      SELECT tok, idn, route, network, cert, jkt, -moved, cat, broken, NULL FROM hit WHERE moved > 0
      UNION ALL
      SELECT tok, idn, route, network, cert, jkt, moved, ${cat('alreadyRefused')}, -1, NULL FROM hit WHERE moved > 0` : ''}
    ),
    agg AS MATERIALIZED (
      SELECT CASE WHEN GROUPING(tok) = 0 THEN 'token' WHEN GROUPING(idn) = 0 THEN 'identity' WHEN GROUPING(network) = 0 THEN 'network' WHEN GROUPING(route) = 0 THEN 'route' ELSE 'all' END AS dim,
             tok, idn, network, route,
             sum(n)::float8 AS total,
             ${SIMULATION_CATEGORIES.map((_, i) => `coalesce(sum(n) FILTER (WHERE cat = ${i}), 0)::float8 AS c${i}`).join(', ')},
             ${BROKEN_REASONS.map((_, i) => `coalesce(sum(n) FILTER (WHERE broken = ${i}), 0)::float8 AS b${i}`).join(', ')},
             coalesce(sum(n) FILTER (WHERE cert IS NOT NULL), 0)::float8 AS pc,
             coalesce(sum(n) FILTER (WHERE cert IS NULL AND jkt IS NOT NULL), 0)::float8 AS pj,
             max(encode(ex, 'hex')) FILTER (WHERE cat IN (0, 1)) AS ex
        FROM x
       GROUP BY GROUPING SETS ((), (idn), (tok), (network), (route))
    ),
    cnt AS (SELECT dim, count(*) AS rows FROM agg GROUP BY dim),

    top AS (
      (SELECT * FROM agg WHERE dim = 'all')
      UNION ALL (SELECT * FROM agg WHERE dim = 'identity' ORDER BY c0 + c1 DESC, c1 DESC, total DESC LIMIT $7)
      UNION ALL (SELECT * FROM agg WHERE dim = 'token' ORDER BY c0 + c1 DESC, c1 DESC, total DESC LIMIT $7)
      UNION ALL (SELECT * FROM agg WHERE dim = 'network' ORDER BY c0 + c1 DESC, c1 DESC, total DESC LIMIT $7)
      UNION ALL (SELECT * FROM agg WHERE dim = 'route' ORDER BY c0 + c1 DESC, c1 DESC, total DESC LIMIT $7)
    )
    SELECT top.dim, coalesce(top.tok::text, top.idn::text, top.network::text, top.route::text) AS key,
           CASE top.dim WHEN 'identity' THEN i.name WHEN 'token' THEN tk.fingerprint WHEN 'network' THEN nd.value WHEN 'route' THEN rd.value END AS name,
           i.kind, coalesce(top.idn, tk."identityId")::text AS "identityId", ti.name AS "identityName", tk.binding::text AS binding, ${ttlSql('tk')} AS ttl,
           cnt.rows::int AS rows, top.total, top.c0, top.c1, top.c2, top.c3, top.c4, top.b0, top.b1, top.b2, top.b3, top.b4, top.pc, top.pj, top.ex
      FROM top
      JOIN cnt ON cnt.dim = top.dim
      LEFT JOIN "Identity" i ON i.id = top.idn AND top.dim = 'identity'
      LEFT JOIN "Token" tk ON tk.id = top.tok AND top.dim = 'token'
      LEFT JOIN "Identity" ti ON ti.id = tk."identityId"
      LEFT JOIN evidence."Dim" nd ON nd.id = top.network AND top.dim = 'network'
      LEFT JOIN evidence."Dim" rd ON rd.id = top.route AND top.dim = 'route'`;
  const rows = scopeIsEmpty(scope) ? [] : await queryWithMemory<AggRow>(db, sql, params);
  return shape(policy, range, rows, performance.now() - t0);
}

function counts(r: AggRow | undefined) {
  const c = emptyCounts();
  if (!r) return c;
  c.total = Number(r.total);
  [c.attacksStopped, c.legitimateBroken, c.alreadyRefused, c.alreadyInvalid, c.unaffected] = [r.c0, r.c1, r.c2, r.c3, r.c4].map(Number) as [number, number, number, number, number];
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
