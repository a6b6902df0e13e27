// The evidence store's hourly usage rows as columns in memory (pure: no database, no Next.js), and
// the two passes the enforcement what-if makes over them. At a million tokens a 30-day range is
// ~5 M usage rows; every SQL plan that ranks tokens from them took ≥ 3 s on two cores (the hash
// table of a million groups), while a pass over typed arrays takes a few hundred milliseconds.
// lib/services/simulation/usage-cache.ts keeps these columns current; this file only reads them.
//
// The passes compute exactly what the SQL statements of run-simulation.ts compute: a row's
// category and broken reason come from the same lookup table (classificationTable, indexed by
// verdict, missing proof, binding and lifetime), NULLs are slot 0 and group together, ties rank as
// PostgreSQL orders them (uuid bytes ascending, NULL last), and the exemplar is the greatest key
// (bytewise, as its hex text compares) of a row the policy would refuse.

/** Figures of one ranked row, as run-simulation.ts names them: total, c0…c6, b0…b4, pc, pj. */
export const FIG = { total: 0, cat: 1, broken: 8, pc: 13, pj: 14, size: 15 } as const;

/** Uuids (16 bytes) to dense slots from 1; slot 0 is "none" (a NULL column). Open addressing over the bytes: no string per row. */
export class UuidIndex {
  #bytes = new Uint8Array(16 * 1024);
  #table = new Int32Array(2048);
  #size = 0;

  /** Slots in use, 0 included. */
  get slots(): number {
    return this.#size + 1;
  }

  #hash(b: Uint8Array, o: number): number {
    // The uuid's random bits: the last 8 bytes mixed (v4 and gen_random_uuid are random there).
    let h = (b[o + 8]! | (b[o + 9]! << 8) | (b[o + 10]! << 16) | (b[o + 11]! << 24)) ^ Math.imul(b[o + 12]! | (b[o + 13]! << 8) | (b[o + 14]! << 16) | (b[o + 15]! << 24), 0x9e3779b1);
    h ^= b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  #equals(slot: number, b: Uint8Array, o: number): boolean {
    const s = this.#bytes;
    const p = slot * 16;
    for (let i = 0; i < 16; i++) if (s[p + i] !== b[o + i]) return false;
    return true;
  }

  /** The slot of the uuid at b[o…o+16), added if new. */
  slotOf(b: Uint8Array, o: number): number {
    const mask = this.#table.length - 1;
    let i = this.#hash(b, o) & mask;
    for (;;) {
      const slot = this.#table[i]!;
      if (slot === 0) break;
      if (this.#equals(slot, b, o)) return slot;
      i = (i + 1) & mask;
    }
    const slot = ++this.#size;
    if ((slot + 1) * 16 > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    this.#bytes.set(b.subarray(o, o + 16), slot * 16);
    this.#table[i] = slot;
    if (this.#size * 2 > this.#table.length) this.#rehash();
    return slot;
  }

  /** The slot of a uuid in text form (`8-4-4-4-12` hex), added if new; 0 for null. */
  slotOfText(uuid: string | null): number {
    if (uuid === null) return 0;
    return this.slotOf(uuidBytes(uuid), 0);
  }

  /** The slot of a uuid in text form, or -1 when it has none. */
  find(uuid: string): number {
    const b = uuidBytes(uuid);
    const mask = this.#table.length - 1;
    let i = this.#hash(b, 0) & mask;
    for (;;) {
      const slot = this.#table[i]!;
      if (slot === 0) return -1;
      if (this.#equals(slot, b, 0)) return slot;
      i = (i + 1) & mask;
    }
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    const mask = table.length - 1;
    for (let slot = 1; slot <= this.#size; slot++) {
      let i = this.#hash(this.#bytes, slot * 16) & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = slot;
    }
    this.#table = table;
  }

  /** Orders two slots as PostgreSQL orders their uuids, slot 0 (NULL) last. */
  compare(a: number, b: number): number {
    if (a === b) return 0;
    if (a === 0) return 1;
    if (b === 0) return -1;
    const s = this.#bytes;
    for (let i = 0; i < 16; i++) {
      const d = s[a * 16 + i]! - s[b * 16 + i]!;
      if (d) return d;
    }
    return 0;
  }

  /** The uuid of a slot in text form; null for slot 0. */
  text(slot: number): string | null {
    if (slot === 0) return null;
    const h = Buffer.from(this.#bytes.subarray(slot * 16, slot * 16 + 16)).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

export function uuidBytes(uuid: string): Uint8Array {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** Dimension numbers (evidence."Dim" ids) to dense slots from 1; slot 0 is NULL. */
export class DenseIds {
  readonly #slot = new Map<number, number>();
  readonly ids: number[] = [0];

  slotOf(id: number | null): number {
    if (id === null) return 0;
    let s = this.#slot.get(id);
    if (s === undefined) {
      s = this.ids.length;
      this.ids.push(id);
      this.#slot.set(id, s);
    }
    return s;
  }

  /** The slot of a dimension number, -1 when none has it. */
  find(id: number): number {
    return this.#slot.get(id) ?? -1;
  }

  /** A membership table over slots for dimension ids (null: no narrowing). */
  members(ids: readonly number[] | null): Uint8Array | null {
    if (ids === null) return null;
    const m = new Uint8Array(this.ids.length);
    for (const id of ids) {
      const s = this.#slot.get(id);
      if (s !== undefined) m[s] = 1;
    }
    return m;
  }
}

/** One hour's usage rows. Dimension columns hold slots (0: NULL); flags: bits 0–1 what was presented (0 nothing, 1 a certificate, 2 a DPoP key), bit 2 the reason says the client's own proof was missing. */
export interface UsageSegment {
  hour: number;
  length: number;
  tok: Int32Array;
  idn: Int32Array;
  ns: Int32Array;
  gateway: Int32Array;
  route: Int32Array;
  network: Int32Array;
  verdict: Uint8Array;
  flags: Uint8Array;
  count: Float64Array;
  /** Exemplar keys, concatenated; row i's is exData[exStart[i] … exStart[i + 1]) (empty: none). */
  exData: Uint8Array;
  exStart: Int32Array;
}

export interface UsageRowIn {
  tok: number;
  idn: number;
  ns: number;
  gateway: number;
  route: number;
  network: number;
  verdict: number;
  flags: number;
  count: number;
  exemplar: Uint8Array | null;
}

/** Collects one hour's rows into a segment. */
export class SegmentBuilder {
  #n = 0;
  #cap = 256;
  #ex = 0;
  #cols = SegmentBuilder.#alloc(256, 256 * 17);

  constructor(readonly hour: number) {}

  static #alloc(cap: number, exCap: number) {
    return {
      tok: new Int32Array(cap), idn: new Int32Array(cap), ns: new Int32Array(cap), gateway: new Int32Array(cap), route: new Int32Array(cap), network: new Int32Array(cap),
      verdict: new Uint8Array(cap), flags: new Uint8Array(cap), count: new Float64Array(cap), exData: new Uint8Array(exCap), exStart: new Int32Array(cap + 1),
    };
  }

  add(r: UsageRowIn): void {
    if (this.#n === this.#cap) this.#grow();
    const c = this.#cols;
    const i = this.#n++;
    c.tok[i] = r.tok; c.idn[i] = r.idn; c.ns[i] = r.ns; c.gateway[i] = r.gateway; c.route[i] = r.route; c.network[i] = r.network;
    c.verdict[i] = r.verdict; c.flags[i] = r.flags; c.count[i] = r.count;
    const ex = r.exemplar;
    if (ex && ex.length) {
      if (this.#ex + ex.length > c.exData.length) {
        const grown = new Uint8Array(Math.max(c.exData.length * 2, this.#ex + ex.length));
        grown.set(c.exData);
        c.exData = grown;
      }
      c.exData.set(ex, this.#ex);
      this.#ex += ex.length;
    }
    c.exStart[i + 1] = this.#ex;
  }

  #grow(): void {
    const old = this.#cols;
    const next = SegmentBuilder.#alloc(this.#cap * 2, old.exData.length);
    for (const k of ['tok', 'idn', 'ns', 'gateway', 'route', 'network', 'verdict', 'flags', 'count', 'exStart'] as const) (next[k] as Int32Array).set(old[k] as Int32Array);
    next.exData.set(old.exData);
    this.#cols = next;
    this.#cap *= 2;
  }

  /** The segment, its columns trimmed to the rows. */
  build(): UsageSegment {
    const c = this.#cols;
    const n = this.#n;
    return {
      hour: this.hour, length: n,
      tok: c.tok.slice(0, n), idn: c.idn.slice(0, n), ns: c.ns.slice(0, n), gateway: c.gateway.slice(0, n), route: c.route.slice(0, n), network: c.network.slice(0, n),
      verdict: c.verdict.slice(0, n), flags: c.flags.slice(0, n), count: c.count.slice(0, n), exData: c.exData.slice(0, this.#ex), exStart: c.exStart.slice(0, n + 1),
    };
  }
}

/** Token attributes by token slot: binding slot (0 bearer, 1 mtls, 2 dpop, 3 unknown or no such token), lifetime in seconds (-1 unknown), privileged (1) or not (0), 2 for no such token. */
export interface TokenColumns {
  binding: Uint8Array;
  ttl: Int32Array;
  privileged: Uint8Array;
}

/** What the policy and range select. Membership tables are over slots; null does not narrow. */
export interface ScanScope {
  ns: Uint8Array | null;
  gateway: Uint8Array | null;
  route: Uint8Array | null;
  /** Tokens in scope (privileged, audience); slot 0 (no token) is never in a narrowed scope. */
  token: Uint8Array | null;
  identity: Uint8Array | null;
}

export interface ScanInput {
  segments: readonly UsageSegment[];
  tokens: TokenColumns;
  tokenSlots: number;
  identitySlots: number;
  networkSlots: number;
  routeSlots: number;
  /** Category and broken reason (-1 none) by verdict × 16 + missing proof × 8 + binding × 2 + lifetime over the limit. */
  lookupCat: Int16Array;
  lookupBroken: Int16Array;
  /** The policy's maximum lifetime in seconds; 0 for none. */
  maxTtl: number;
  scope: ScanScope;
}

/** Where an exemplar lives: segment and row, -1 for none. */
export interface ExemplarRef {
  seg: Int32Array;
  row: Int32Array;
}

/** Per-key figures for ranking: requests, would be refused (categories 0 and 1), legitimate broken (category 1). */
export interface RankFigures {
  n: Float64Array;
  w: Float64Array;
  c1: Float64Array;
}

export interface FirstPass {
  tokens: RankFigures;
  identities: RankFigures;
  /** FIG.size figures per network slot, per route slot, and for everything in scope. */
  networks: Float64Array;
  routes: Float64Array;
  all: Float64Array;
  networkEx: ExemplarRef;
  routeEx: ExemplarRef;
  allEx: ExemplarRef;
}

const rankFigures = (slots: number): RankFigures => ({ n: new Float64Array(slots), w: new Float64Array(slots), c1: new Float64Array(slots) });
const exemplarRefs = (slots: number): ExemplarRef => ({ seg: new Int32Array(slots).fill(-1), row: new Int32Array(slots).fill(-1) });

/** Bytewise order of two exemplars (as their hex text orders): > 0 when (sa, ra) is greater. */
function compareExemplar(segs: readonly UsageSegment[], sa: number, ra: number, sb: number, rb: number): number {
  const a = segs[sa]!;
  const b = segs[sb]!;
  let i = a.exStart[ra]!;
  const ie = a.exStart[ra + 1]!;
  let j = b.exStart[rb]!;
  const je = b.exStart[rb + 1]!;
  for (; i < ie && j < je; i++, j++) {
    const d = a.exData[i]! - b.exData[j]!;
    if (d) return d;
  }
  return ie - i - (je - j);
}

function keepGreaterExemplar(segs: readonly UsageSegment[], ref: ExemplarRef, k: number, s: number, r: number): void {
  if (ref.seg[k]! < 0 || compareExemplar(segs, s, r, ref.seg[k]!, ref.row[k]!) > 0) {
    ref.seg[k] = s;
    ref.row[k] = r;
  }
}

/** The exemplar key's bytes, or null. */
export function exemplarOf(segs: readonly UsageSegment[], ref: ExemplarRef, k: number): Buffer | null {
  const s = ref.seg[k]!;
  if (s < 0) return null;
  const seg = segs[s]!;
  const r = ref.row[k]!;
  return Buffer.from(seg.exData.subarray(seg.exStart[r]!, seg.exStart[r + 1]!));
}

const YIELD_EVERY_ROWS = 250_000;

/**
 * Calls `row(segment index, row, slot of the lookup table)` for every row in scope. One loop for
 * both passes, so they can never disagree on what is in scope or how a row is classified.
 */
async function eachRowInScope(p: ScanInput, row: (s: number, seg: UsageSegment, i: number, slot: number) => void): Promise<void> {
  const { tokens, maxTtl, scope } = p;
  const { binding, ttl } = tokens;
  let sinceYield = 0;
  for (let s = 0; s < p.segments.length; s++) {
    const seg = p.segments[s]!;
    // A server answers other requests meanwhile: a pass over millions of rows would hold its one
    // thread for hundreds of milliseconds.
    if ((sinceYield += seg.length) >= YIELD_EVERY_ROWS) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const { tok, idn, verdict, flags } = seg;
    for (let i = 0; i < seg.length; i++) {
      if (scope.gateway && !scope.gateway[seg.gateway[i]!]) continue;
      if (scope.ns && !scope.ns[seg.ns[i]!]) continue;
      if (scope.route && !scope.route[seg.route[i]!]) continue;
      const t = tok[i]!;
      if (scope.token && !scope.token[t]) continue;
      if (scope.identity && !scope.identity[idn[i]!]) continue;
      const f = flags[i]!;
      const slot = verdict[i]! * 16 + (f & 4 ? 8 : 0) + (t ? binding[t]! : 3) * 2 + (maxTtl > 0 && t && ttl[t]! > maxTtl ? 1 : 0);
      row(s, seg, i, slot);
    }
  }
}

function addFigures(fig: Float64Array, o: number, n: number, c: number, b: number, pres: number): void {
  fig[o + FIG.total] = fig[o + FIG.total]! + n;
  fig[o + FIG.cat + c] = fig[o + FIG.cat + c]! + n;
  if (b >= 0) fig[o + FIG.broken + b] = fig[o + FIG.broken + b]! + n;
  if (pres === 1) fig[o + FIG.pc] = fig[o + FIG.pc]! + n;
  else if (pres === 2) fig[o + FIG.pj] = fig[o + FIG.pj]! + n;
}

/**
 * The first pass: per token and identity what ranks them; per client network, per route and in
 * all, every figure (the SQL's network × route × presented × category groups, summed).
 */
export async function scanUsage(p: ScanInput): Promise<FirstPass> {
  const out: FirstPass = {
    tokens: rankFigures(p.tokenSlots), identities: rankFigures(p.identitySlots),
    networks: new Float64Array(p.networkSlots * FIG.size), routes: new Float64Array(p.routeSlots * FIG.size), all: new Float64Array(FIG.size),
    networkEx: exemplarRefs(p.networkSlots), routeEx: exemplarRefs(p.routeSlots), allEx: exemplarRefs(1),
  };
  const { lookupCat, lookupBroken, segments } = p;
  const T = out.tokens;
  const I = out.identities;
  await eachRowInScope(p, (s, seg, i, slot) => {
    const c = lookupCat[slot]!;
    const b = lookupBroken[slot]!;
    const n = seg.count[i]!;
    const t = seg.tok[i]!;
    const d = seg.idn[i]!;
    T.n[t] = T.n[t]! + n;
    I.n[d] = I.n[d]! + n;
    if (c <= 1) {
      T.w[t] = T.w[t]! + n;
      I.w[d] = I.w[d]! + n;
      if (c === 1) {
        T.c1[t] = T.c1[t]! + n;
        I.c1[d] = I.c1[d]! + n;
      }
    }
    const pres = seg.flags[i]! & 3;
    const net = seg.network[i]!;
    const route = seg.route[i]!;
    addFigures(out.networks, net * FIG.size, n, c, b, pres);
    addFigures(out.routes, route * FIG.size, n, c, b, pres);
    addFigures(out.all, 0, n, c, b, pres);
    if (c <= 1 && seg.exStart[i + 1]! > seg.exStart[i]!) {
      keepGreaterExemplar(segments, out.networkEx, net, s, i);
      keepGreaterExemplar(segments, out.routeEx, route, s, i);
      keepGreaterExemplar(segments, out.allEx, 0, s, i);
    }
  });
  return out;
}

export interface DetailPass {
  /** FIG.size figures per detail row (the order of the slots asked for). */
  tokens: Float64Array;
  identities: Float64Array;
  tokenEx: ExemplarRef;
  identityEx: ExemplarRef;
}

/** The second pass: every figure of the ranked tokens and identities (`-1`: not ranked; else the row's index). */
export async function detailUsage(p: ScanInput, tokenRow: Int32Array, identityRow: Int32Array, rows: { tokens: number; identities: number }): Promise<DetailPass> {
  const out: DetailPass = {
    tokens: new Float64Array(rows.tokens * FIG.size), identities: new Float64Array(rows.identities * FIG.size),
    tokenEx: exemplarRefs(rows.tokens), identityEx: exemplarRefs(rows.identities),
  };
  const { lookupCat, lookupBroken, segments } = p;
  await eachRowInScope(p, (s, seg, i, slot) => {
    const tr = tokenRow[seg.tok[i]!]!;
    const dr = identityRow[seg.idn[i]!]!;
    if (tr < 0 && dr < 0) return;
    const c = lookupCat[slot]!;
    const b = lookupBroken[slot]!;
    const n = seg.count[i]!;
    const pres = seg.flags[i]! & 3;
    const ex = c <= 1 && seg.exStart[i + 1]! > seg.exStart[i]!;
    if (tr >= 0) {
      addFigures(out.tokens, tr * FIG.size, n, c, b, pres);
      if (ex) keepGreaterExemplar(segments, out.tokenEx, tr, s, i);
    }
    if (dr >= 0) {
      addFigures(out.identities, dr * FIG.size, n, c, b, pres);
      if (ex) keepGreaterExemplar(segments, out.identityEx, dr, s, i);
    }
  });
  return out;
}

/** Requests of a group moved from category `cat` (broken reason `broken`) to `to` (no broken reason). */
export function moveFigures(fig: Float64Array, o: number, moved: number, cat: number, broken: number, to: number): void {
  fig[o + FIG.cat + cat] = fig[o + FIG.cat + cat]! - moved;
  if (broken >= 0) fig[o + FIG.broken + broken] = fig[o + FIG.broken + broken]! - moved;
  fig[o + FIG.cat + to] = fig[o + FIG.cat + to]! + moved;
}

/** The same move on ranking figures. */
export function moveRank(r: RankFigures, k: number, moved: number, cat: number, to: number): void {
  if (cat <= 1) r.w[k] = r.w[k]! - moved;
  if (cat === 1) r.c1[k] = r.c1[k]! - moved;
  if (to <= 1) r.w[k] = r.w[k]! + moved;
  if (to === 1) r.c1[k] = r.c1[k]! + moved;
}

/**
 * The `limit` keys ranked first (would be refused, then legitimate broken, then requests
 * descending, then `tie`), among keys with requests; and how many keys had requests.
 */
export function topKeys(r: RankFigures, limit: number, tie: (a: number, b: number) => number): { keys: number[]; count: number } {
  const better = (a: number, b: number) => r.w[b]! - r.w[a]! || r.c1[b]! - r.c1[a]! || r.n[b]! - r.n[a]! || tie(a, b);
  const top: number[] = [];
  let count = 0;
  for (let k = 0; k < r.n.length; k++) {
    if (!(r.n[k]! > 0)) continue;
    count++;
    if (top.length === limit && better(k, top[limit - 1]!) >= 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (better(top[mid]!, k) <= 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, k);
    if (top.length > limit) top.pop();
  }
  return { keys: top, count };
}
