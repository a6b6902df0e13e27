// The simulation's aggregation over the usage columns in memory (usage-cache.ts, lib/simulate
// usage-columns.ts) instead of SQL: the same rows in scope, classified by the same lookup table, the
// same moves (refusals the notable rows tell, read by SQL and matched to their usage rows here;
// spoofed paths, read by SQL: run-simulation.ts), the same ranking and the same figures, as the
// AggRow rows run-simulation.ts shapes into the answer.
// The SQL statements stay the reference (a differential test compares both on real evidence) and
// the path for a range larger than the cache may hold.
import { globToLike, type SimulationPolicy } from '../../simulate/index.ts';
import {
  detailUsage, exemplarOf, FIG, matchRefusals, moveFigures, moveRank, scanUsage, topKeys,
  type DenseIds, type ExemplarRef, type RefusedGroup, type ScanInput, type SlotMove, type UsageSegment,
} from '../../simulate/usage-columns.ts';
import type { AggRow, Move, RefusedRow } from './run-simulation.ts';
import { ttlSql, type ResolvedScope } from './scope.ts';
import type { CachedUsage } from './usage-cache.ts';

type Rows = <T>(sql: string, params: unknown[]) => Promise<T[]>;

export interface ColumnsInput {
  usage: CachedUsage;
  /**
   * What the notable rows tell, read by SQL while the first pass runs (the database and this thread
   * work side by side): refusals the verdicts do not show, by usage group (matched here against the
   * columns), and the spoofed paths' moves.
   */
  notable: () => Promise<{ refused: RefusedRow[]; spoofed: Move[] }>;
  /** The category refused requests move to (alreadyRefused). */
  refusedTo: number;
  policy: SimulationPolicy;
  scope: ResolvedScope;
  lookupCat: number[];
  lookupBroken: number[];
  limit: number;
}

/** Membership over token slots for the policy's privileged flag and audience (null: not narrowed). */
async function tokenScope(q: Rows, u: CachedUsage, policy: SimulationPolicy): Promise<Uint8Array | null> {
  const privileged = policy.scope?.identity?.privileged;
  const audience = policy.scope?.audience;
  if (privileged == null && !audience) return null;
  const m = new Uint8Array(u.tokens.slots);
  // Slot 0 (no token) and tokens the inventory does not hold (privileged 2) never match: the SQL
  // compares the LEFT JOINed token's columns, NULL for both.
  for (let t = 1; t < m.length; t++) m[t] = privileged == null ? (u.attrs.privileged[t]! < 2 ? 1 : 0) : u.attrs.privileged[t] === (privileged ? 1 : 0) ? 1 : 0;
  if (audience) {
    const ids = await q<{ id: string }>(`SELECT id::text AS id FROM "Token" WHERE $1::text = ANY(audience)`, [audience]);
    const hit = new Uint8Array(m.length);
    for (const { id } of ids) {
      const t = u.tokens.find(id);
      if (t > 0) hit[t] = 1;
    }
    for (let t = 0; t < m.length; t++) m[t] = m[t]! & hit[t]!;
  }
  return m;
}

/** Membership over identity slots for the policy's identity kind and name glob (null: not narrowed). */
async function identityScope(q: Rows, u: CachedUsage, policy: SimulationPolicy): Promise<Uint8Array | null> {
  const sel = policy.scope?.identity;
  if (!sel?.kind && !sel?.nameGlob) return null;
  const ids = await q<{ id: string }>(
    `SELECT id::text AS id FROM "Identity" WHERE ($1::text IS NULL OR kind = $1::text) AND ($2::text IS NULL OR name LIKE $2::text)`,
    [sel.kind ?? null, sel.nameGlob ? globToLike(sel.nameGlob) : null],
  );
  const m = new Uint8Array(u.identities.slots);
  for (const { id } of ids) {
    const d = u.identities.find(id);
    if (d > 0) m[d] = 1;
  }
  return m;
}

const hex = (b: Buffer | null) => (b ? b.toString('hex') : null);

/** An AggRow's figures from FIG.size numbers at `o`. */
function figures(fig: Float64Array, o: number, ex: string | null): Pick<AggRow, 'total' | 'c0' | 'c1' | 'c2' | 'c3' | 'c4' | 'c5' | 'c6' | 'b0' | 'b1' | 'b2' | 'b3' | 'b4' | 'pc' | 'pj' | 'ex'> {
  const c = (i: number) => fig[o + FIG.cat + i]!;
  const b = (i: number) => fig[o + FIG.broken + i]!;
  return {
    total: fig[o + FIG.total]!, c0: c(0), c1: c(1), c2: c(2), c3: c(3), c4: c(4), c5: c(5), c6: c(6),
    b0: b(0), b1: b(1), b2: b(2), b3: b(3), b4: b(4), pc: fig[o + FIG.pc]!, pj: fig[o + FIG.pj]!, ex,
  };
}

/** Network or route rows: slots with requests, ranked as the SQL orders them (would be refused, legitimate broken, requests, dimension number, NULL last). */
function rankedDims(fig: Float64Array, dims: DenseIds, limit: number): { slots: number[]; count: number } {
  const slots: number[] = [];
  for (let s = 0; s < dims.ids.length; s++) if (fig[s * FIG.size + FIG.total]! > 0) slots.push(s);
  const w = (s: number) => fig[s * FIG.size + FIG.cat]! + fig[s * FIG.size + FIG.cat + 1]!;
  const id = (s: number) => (s === 0 ? Infinity : dims.ids[s]!);
  slots.sort((a, b) => w(b) - w(a) || fig[b * FIG.size + FIG.cat + 1]! - fig[a * FIG.size + FIG.cat + 1]! || fig[b * FIG.size]! - fig[a * FIG.size]! || id(a) - id(b));
  return { slots: slots.slice(0, limit), count: slots.length };
}

/** The slot a dimension number has in `dims`, 0 for NULL, -1 when no cached row names it. */
function dimSlot(dims: DenseIds, id: number | null): number {
  return id === null ? 0 : dims.find(Number(id));
}

/** The refused groups on the columns' slots; a group whose token, identity or dimension no cached row names has no usage rows to move from. */
function refusedGroups(u: CachedUsage, rows: readonly RefusedRow[]): RefusedGroup[] {
  const out: RefusedGroup[] = [];
  for (const r of rows) {
    const g = {
      tok: r.tok === null ? 0 : u.tokens.find(r.tok), idn: r.idn === null ? 0 : u.identities.find(r.idn),
      gateway: dimSlot(u.gateway, r.gateway), route: dimSlot(u.route, r.route), network: dimSlot(u.network, r.network),
      cert: Number(r.cert ?? 0), jkt: Number(r.jkt ?? 0), verdict: Number(r.verdict), reason: Number(r.reason ?? 0), refused: Number(r.r),
    };
    if (g.tok >= 0 && g.idn >= 0 && g.gateway >= 0 && g.route >= 0 && g.network >= 0) out.push(g);
  }
  return out;
}

/** The simulation's rows (AggRow, as run-simulation.ts's statements return them) from the columns. */
export async function simulateOnColumns(q: Rows, o: ColumnsInput): Promise<AggRow[]> {
  const u = o.usage;
  const input: ScanInput = {
    segments: u.segments, tokens: u.attrs, tokenSlots: u.tokens.slots, identitySlots: u.identities.slots,
    networkSlots: u.network.ids.length, routeSlots: u.route.ids.length,
    lookupCat: Int16Array.from(o.lookupCat), lookupBroken: Int16Array.from(o.lookupBroken), maxTtl: o.policy.maxTtlSeconds ?? 0,
    scope: {
      ns: u.ns.members(o.scope.ns), gateway: u.gateway.members(o.scope.gateways), route: u.route.members(o.scope.routes),
      token: await tokenScope(q, u, o.policy), identity: await identityScope(q, u, o.policy),
    },
  };
  const pending = o.notable();
  pending.catch(() => {}); // awaited below; a failure must not surface as unhandled while the pass runs
  const first = await scanUsage(input);
  const notable = await pending;
  // Every move on slots: the refusals matched against the columns, the spoofed paths' lines by key.
  const moves: SlotMove[] = await matchRefusals(input, refusedGroups(u, notable.refused), o.refusedTo);
  for (const m of notable.spoofed) {
    moves.push({
      t: m.tok === null ? 0 : u.tokens.find(m.tok), d: m.idn === null ? 0 : u.identities.find(m.idn), net: dimSlot(u.network, m.network), route: dimSlot(u.route, m.route),
      pres: m.pres, moved: Number(m.moved), cat: m.cat, broken: m.broken, to: m.to,
    });
  }
  // Moved requests: out of their category (and broken reason) into another, per key.
  for (const m of moves) {
    if (m.t >= 0) moveRank(first.tokens, m.t, m.moved, m.cat, m.to);
    if (m.d >= 0) moveRank(first.identities, m.d, m.moved, m.cat, m.to);
    if (m.net >= 0) moveFigures(first.networks, m.net * FIG.size, m.moved, m.cat, m.broken, m.to);
    if (m.route >= 0) moveFigures(first.routes, m.route * FIG.size, m.moved, m.cat, m.broken, m.to);
    moveFigures(first.all, 0, m.moved, m.cat, m.broken, m.to);
  }
  const topTokens = topKeys(first.tokens, o.limit, (a, b) => u.tokens.compare(a, b));
  const topIdentities = topKeys(first.identities, o.limit, (a, b) => u.identities.compare(a, b));
  const tokenRow = new Int32Array(u.tokens.slots).fill(-1);
  const identityRow = new Int32Array(u.identities.slots).fill(-1);
  topTokens.keys.forEach((t, i) => (tokenRow[t] = i));
  topIdentities.keys.forEach((d, i) => (identityRow[d] = i));
  const detail = await detailUsage(input, tokenRow, identityRow, { tokens: topTokens.keys.length, identities: topIdentities.keys.length });
  for (const m of moves) {
    const tr = m.t >= 0 ? tokenRow[m.t]! : -1;
    const dr = m.d >= 0 ? identityRow[m.d]! : -1;
    if (tr >= 0) moveFigures(detail.tokens, tr * FIG.size, m.moved, m.cat, m.broken, m.to);
    if (dr >= 0) moveFigures(detail.identities, dr * FIG.size, m.moved, m.cat, m.broken, m.to);
  }
  const networks = rankedDims(first.networks, u.network, o.limit);
  const routes = rankedDims(first.routes, u.route, o.limit);

  // Names of what is shown, read by key.
  const tokenIds = topTokens.keys.map((t) => u.tokens.text(t)).filter((x): x is string => x !== null);
  const identityIds = topIdentities.keys.map((d) => u.identities.text(d)).filter((x): x is string => x !== null);
  const dimIds = [...networks.slots.map((s) => u.network.ids[s]!), ...routes.slots.map((s) => u.route.ids[s]!)].filter((id) => id > 0);
  // One after another: the statements share the snapshot's one connection.
  const tokenInfo = await (tokenIds.length
      ? q<{ id: string; fingerprint: string; identityId: string; identityName: string | null; binding: string; ttl: number | null }>(
          `SELECT t.id::text AS id, t.fingerprint, t."identityId"::text AS "identityId", ti.name AS "identityName", t.binding::text AS binding,
                  ${ttlSql('t')} AS ttl
             FROM "Token" t LEFT JOIN "Identity" ti ON ti.id = t."identityId" WHERE t.id = ANY($1::uuid[])`,
          [tokenIds],
        )
      : []);
  const identityInfo = await (identityIds.length ? q<{ id: string; name: string; kind: string }>(`SELECT id::text AS id, name, kind FROM "Identity" WHERE id = ANY($1::uuid[])`, [identityIds]) : []);
  const dimInfo = await (dimIds.length ? q<{ id: number; value: string }>(`SELECT id, value FROM "evidence"."Dim" WHERE id = ANY($1::int[])`, [dimIds]) : []);
  const tokenBy = new Map(tokenInfo.map((r) => [r.id, r]));
  const identityBy = new Map(identityInfo.map((r) => [r.id, r]));
  const dimName = new Map(dimInfo.map((r) => [Number(r.id), r.value]));
  const none = { name: null, kind: null, identityId: null, identityName: null, binding: null, ttl: null };
  const exOf = (segs: readonly UsageSegment[], ref: ExemplarRef, k: number) => hex(exemplarOf(segs, ref, k));

  const out: AggRow[] = [{ dim: 'all', key: null, ...none, rows: 1, ...figures(first.all, 0, exOf(u.segments, first.allEx, 0)) }];
  for (const [dim, ranked, fig, dims, ex] of [
    ['network', networks, first.networks, u.network, first.networkEx],
    ['route', routes, first.routes, u.route, first.routeEx],
  ] as const) {
    for (const s of ranked.slots) {
      const id = s === 0 ? null : dims.ids[s]!;
      out.push({ dim, key: id === null ? null : String(id), ...none, name: id === null ? null : (dimName.get(id) ?? null), rows: ranked.count, ...figures(fig, s * FIG.size, exOf(u.segments, ex, s)) });
    }
  }
  topTokens.keys.forEach((t, i) => {
    const key = u.tokens.text(t);
    const info = key ? tokenBy.get(key) : undefined;
    out.push({
      dim: 'token', key, name: info?.fingerprint ?? null, kind: null, identityId: info?.identityId ?? null, identityName: info?.identityName ?? null,
      binding: info?.binding ?? null, ttl: info?.ttl ?? null, rows: topTokens.count, ...figures(detail.tokens, i * FIG.size, exOf(u.segments, detail.tokenEx, i)),
    });
  });
  topIdentities.keys.forEach((d, i) => {
    const key = u.identities.text(d);
    const info = key ? identityBy.get(key) : undefined;
    out.push({
      dim: 'identity', key, name: info?.name ?? null, kind: info?.kind ?? null, identityId: key, identityName: null, binding: null, ttl: null,
      rows: topIdentities.count, ...figures(detail.identities, i * FIG.size, exOf(u.segments, detail.identityEx, i)),
    });
  });
  return out;
}
