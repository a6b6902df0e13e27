// The evidence store's hourly usage rows as columns in memory (pure: no database, no Next.js), and
// the passes the enforcement what-if makes over them (all rows in scope; the refused groups' rows;
// the ranked rows' detail). At a million tokens a 30-day range is
// ~5 M usage rows; every SQL plan that ranks tokens from them took ≥ 3 s on two cores (the hash
// table of a million groups), while a pass over typed arrays takes a few hundred milliseconds.
// lib/services/simulation/usage-cache.ts keeps these columns current; this file only reads them.
//
// The passes compute exactly what the SQL statements of run-simulation.ts compute: a row's
// category and broken reason come from the same lookup table (classificationTable, indexed by
// verdict, missing proof, binding and lifetime), NULLs are slot 0 and group together, ties rank as
// PostgreSQL orders them (uuid bytes ascending, NULL last), and the exemplar is the greatest key
// (bytewise, as its hex text compares) of a row the policy would refuse.

import { BROKEN_REASONS, SIMULATION_CATEGORIES } from './types.ts';

/** Figures of one ranked row, as run-simulation.ts names them: total, c0…c6, b0…b4, pc, pj. */
export const FIG = { total: 0, cat: 1, broken: 8, pc: 13, pj: 14, size: 15 } as const;

/** Uuids (16 bytes) to dense slots from 1; slot 0 is "none" (a NULL column). Open addressing over the bytes: no string per row. */
export class UuidIndex {
  #bytes = Buffer.alloc(16 * 1024);
  #table = new Int32Array(2048);
  #size = 0;

  /** Slots in use, 0 included. */
  get slots(): number {
    return this.#size + 1;
  }

  // The uuid's random bits mixed (v4 and gen_random_uuid are random almost everywhere).
  static #hash(b: Buffer, o: number): number {
    let h = b.readInt32LE(o + 12) ^ Math.imul(b.readInt32LE(o + 8), 0x9e3779b1) ^ b.readInt32LE(o);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    return (h ^ (h >>> 13)) >>> 0;
  }

  #equals(slot: number, b: Buffer, o: number): boolean {
    const s = this.#bytes;
    const p = slot * 16;
    return s.readInt32LE(p) === b.readInt32LE(o) && s.readInt32LE(p + 4) === b.readInt32LE(o + 4) && s.readInt32LE(p + 8) === b.readInt32LE(o + 8) && s.readInt32LE(p + 12) === b.readInt32LE(o + 12);
  }

  #lookup(b: Buffer, o: number): { slot: number; at: number } {
    const mask = this.#table.length - 1;
    let i = UuidIndex.#hash(b, o) & mask;
    for (;;) {
      const slot = this.#table[i]!;
      if (slot === 0 || this.#equals(slot, b, o)) return { slot, at: i };
      i = (i + 1) & mask;
    }
  }

  /** The slot of the uuid at b[o…o+16), added if new. */
  slotOf(b: Buffer, o: number): number {
    const mask = this.#table.length - 1;
    let i = UuidIndex.#hash(b, o) & mask;
    for (;;) {
      const slot = this.#table[i]!;
      if (slot === 0) break;
      if (this.#equals(slot, b, o)) return slot;
      i = (i + 1) & mask;
    }
    const slot = ++this.#size;
    if ((slot + 1) * 16 > this.#bytes.length) {
      const grown = Buffer.alloc(this.#bytes.length * 2);
      this.#bytes.copy(grown);
      this.#bytes = grown;
    }
    b.copy(this.#bytes, slot * 16, o, o + 16);
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
    const { slot } = this.#lookup(uuidBytes(uuid), 0);
    return slot === 0 ? -1 : slot;
  }

  #rehash(): void {
    const table = new Int32Array(this.#table.length * 2);
    const mask = table.length - 1;
    for (let slot = 1; slot <= this.#size; slot++) {
      let i = UuidIndex.#hash(this.#bytes, slot * 16) & mask;
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
    return this.#bytes.compare(this.#bytes, b * 16, b * 16 + 16, a * 16, a * 16 + 16);
  }

  /** The uuid of a slot in text form; null for slot 0. */
  text(slot: number): string | null {
    if (slot === 0) return null;
    const h = this.#bytes.toString('hex', slot * 16, slot * 16 + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

export function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** Dimension numbers (evidence."Dim" ids) to dense slots from 1; slot 0 is NULL. */
export class DenseIds {
  readonly #slot = new Map<number, number>();
  readonly ids: number[] = [0];

  #lastId = -1;
  #lastSlot = 0;

  slotOf(id: number | null): number {
    if (id === null) return 0;
    // Consecutive rows mostly name the same source, gateway, route.
    if (id === this.#lastId) return this.#lastSlot;
    let s = this.#slot.get(id);
    if (s === undefined) {
      s = this.ids.length;
      this.ids.push(id);
      this.#slot.set(id, s);
    }
    this.#lastId = id;
    this.#lastSlot = s;
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

/**
 * One hour's usage rows. Dimension columns hold slots (0: NULL), except cert, jkt and reason, which
 * hold the dimension numbers themselves (0: NULL; only compared for equality, to match refusals);
 * flags: bits 0–1 what was presented (0 nothing, 1 a certificate, 2 a DPoP key), bit 2 the reason
 * says the client's own proof was missing.
 */
export interface UsageSegment {
  hour: number;
  length: number;
  tok: Int32Array;
  idn: Int32Array;
  ns: Int32Array;
  gateway: Int32Array;
  route: Int32Array;
  network: Int32Array;
  cert: Int32Array;
  jkt: Int32Array;
  reason: Int32Array;
  verdict: Uint8Array;
  flags: Uint8Array;
  count: Float64Array;
  /** Exemplar keys, concatenated; row i's is exData[exStart[i] … exStart[i + 1]) (empty: none). */
  exData: Uint8Array;
  exStart: Int32Array;
  /** The exemplar's first 6 bytes as a number (-1: none): compared first, the bytes only on a tie. */
  exHi: Float64Array;
}

export interface UsageRowIn {
  tok: number;
  idn: number;
  ns: number;
  gateway: number;
  route: number;
  network: number;
  cert: number;
  jkt: number;
  reason: number;
  verdict: number;
  flags: number;
  count: number;
  /** The exemplar key: exBuf[exOff … exOff + exLen) (exLen 0: none). */
  exBuf: Uint8Array | null;
  exOff: number;
  exLen: number;
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
      cert: new Int32Array(cap), jkt: new Int32Array(cap), reason: new Int32Array(cap),
      verdict: new Uint8Array(cap), flags: new Uint8Array(cap), count: new Float64Array(cap), exData: new Uint8Array(exCap), exStart: new Int32Array(cap + 1),
      exHi: new Float64Array(cap),
    };
  }

  add(r: UsageRowIn): void {
    if (this.#n === this.#cap) this.#grow();
    const c = this.#cols;
    const i = this.#n++;
    c.tok[i] = r.tok; c.idn[i] = r.idn; c.ns[i] = r.ns; c.gateway[i] = r.gateway; c.route[i] = r.route; c.network[i] = r.network;
    c.cert[i] = r.cert; c.jkt[i] = r.jkt; c.reason[i] = r.reason;
    c.verdict[i] = r.verdict; c.flags[i] = r.flags; c.count[i] = r.count;
    const len = r.exLen;
    const buf = r.exBuf;
    let hi = -1;
    if (buf && len > 0) {
      if (this.#ex + len > c.exData.length) {
        const grown = new Uint8Array(Math.max(c.exData.length * 2, this.#ex + len));
        grown.set(c.exData);
        c.exData = grown;
      }
      const d = c.exData;
      const at = this.#ex;
      for (let k = 0; k < len; k++) d[at + k] = buf[r.exOff + k]!;
      this.#ex += len;
      hi = 0;
      for (let k = 0; k < 6; k++) hi = hi * 256 + (k < len ? buf[r.exOff + k]! : 0);
    }
    c.exHi[i] = hi;
    c.exStart[i + 1] = this.#ex;
  }

  #grow(): void {
    const old = this.#cols;
    const next = SegmentBuilder.#alloc(this.#cap * 2, old.exData.length);
    for (const k of ['tok', 'idn', 'ns', 'gateway', 'route', 'network', 'cert', 'jkt', 'reason', 'verdict', 'flags', 'count', 'exStart', 'exHi'] as const) (next[k] as Int32Array).set(old[k] as Int32Array);
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
      cert: c.cert.slice(0, n), jkt: c.jkt.slice(0, n), reason: c.reason.slice(0, n),
      verdict: c.verdict.slice(0, n), flags: c.flags.slice(0, n), count: c.count.slice(0, n), exData: c.exData.slice(0, this.#ex), exStart: c.exStart.slice(0, n + 1),
      exHi: c.exHi.slice(0, n),
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

/** The greatest exemplar per key: its prefix (exHi, -1 none), segment and row. */
export interface ExemplarRef {
  hi: Float64Array;
  seg: Int32Array;
  row: Int32Array;
}

const exemplarRefs = (slots: number): ExemplarRef => ({ hi: new Float64Array(slots).fill(-1), seg: new Int32Array(slots).fill(-1), row: new Int32Array(slots).fill(-1) });

/** Keeps row (s, r), whose exemplar prefix is `hi` (≥ 0), when its exemplar is greater than key k's. */
function keepGreaterExemplar(segs: readonly UsageSegment[], ref: ExemplarRef, k: number, hi: number, s: number, r: number): void {
  const best = ref.hi[k]!;
  if (hi < best) return;
  if (hi === best && compareExemplar(segs, s, r, ref.seg[k]!, ref.row[k]!) <= 0) return;
  ref.hi[k] = hi;
  ref.seg[k] = s;
  ref.row[k] = r;
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
 * The segments with their index, letting other work run every YIELD_EVERY_ROWS rows: a server
 * answers other requests meanwhile (a pass over millions of rows holds its one thread for a second).
 */
async function* yieldingSegments(segments: readonly UsageSegment[]): AsyncGenerator<[number, UsageSegment]> {
  let sinceYield = 0;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s]!;
    if ((sinceYield += seg.length) >= YIELD_EVERY_ROWS) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    yield [s, seg];
  }
}

/**
 * What one simulation decides per row, as tables built once (a few hundred kilobytes) so the pass
 * over millions of rows does two table reads per row instead of re-deriving it:
 *  - `tcode` per token slot: the classifier's binding × lifetime slot (binding × 2 + over the TTL
 *    limit), or OUT when the policy's token scope leaves the token out;
 *  - `row` per (verdict, flags, tcode): the row's sub-group (presented × category × broken reason)
 *    × 4 + its ranking class (0 other, 1 attacks stopped, 2 legitimate broken).
 * The one statement of how a row is classified, for both passes; `inDims` is what is in scope.
 */
interface RowTables {
  tcode: Uint8Array;
  row: Int32Array;
  /** Whether a dimension (namespace, gateway, route, identity) narrows the scope. */
  dimScoped: boolean;
}

const OUT = 255;
/** Verdict codes are stored as one byte. */
const VERDICT_CODES = 256;

// Built once per simulation: both passes read the same input.
const tablesOf = new WeakMap<ScanInput, RowTables>();

function rowTables(p: ScanInput): RowTables {
  let t = tablesOf.get(p);
  if (!t) tablesOf.set(p, (t = buildRowTables(p)));
  return t;
}

function buildRowTables(p: ScanInput): RowTables {
  const { binding, ttl } = p.tokens;
  const maxTtl = p.maxTtl;
  const tokenScope = p.scope.token;
  const tcode = new Uint8Array(p.tokenSlots);
  // Slot 0 (no token): binding slot 3 ("unknown"), no lifetime; never in a narrowed token scope.
  tcode[0] = tokenScope !== null ? OUT : 3 * 2;
  for (let t = 1; t < tcode.length; t++) {
    tcode[t] = tokenScope !== null && !tokenScope[t] ? OUT : binding[t]! * 2 + (maxTtl > 0 && ttl[t]! > maxTtl ? 1 : 0);
  }
  const row = new Int32Array(VERDICT_CODES * 64);
  const unaffected = SIMULATION_CATEGORIES.indexOf('unaffected');
  for (let v = 0; v < VERDICT_CODES; v++) {
    for (let flags = 0; flags < 8; flags++) {
      for (let tc = 0; tc < 8; tc++) {
        const slot = v * 16 + (flags & 4 ? 8 : 0) + tc;
        // A verdict code the table does not know (none is stored today) counts as unaffected.
        const c = slot < p.lookupCat.length ? p.lookupCat[slot]! : unaffected;
        const b = slot < p.lookupBroken.length ? p.lookupBroken[slot]! : -1;
        const sub = ((flags & 3) * CATS + c) * BROKEN_SLOTS + b + 1;
        row[(v * 8 + flags) * 8 + tc] = sub * 4 + (c <= 1 ? c + 1 : 0);
      }
    }
  }
  const s = p.scope;
  return { tcode, row, dimScoped: s.ns !== null || s.gateway !== null || s.route !== null || s.identity !== null };
}

/** Whether the row's namespace, gateway, route and identity are in the policy's scope. */
function inDims(s: ScanScope, seg: UsageSegment, i: number): boolean {
  return (s.gateway === null || s.gateway[seg.gateway[i]!] === 1) && (s.ns === null || s.ns[seg.ns[i]!] === 1)
    && (s.route === null || s.route[seg.route[i]!] === 1) && (s.identity === null || s.identity[seg.idn[i]!] === 1);
}

/** A sub-group's category, broken reason (-1 none) and what was presented. */
const subCat = (sub: number) => Math.floor(sub / BROKEN_SLOTS) % CATS;
const subBroken = (sub: number) => (sub % BROKEN_SLOTS) - 1;
const subPresented = (sub: number) => Math.floor(sub / (BROKEN_SLOTS * CATS));

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
  const { segments, scope } = p;
  const { tcode, row: rowTab, dimScoped } = rowTables(p);
  // Per row as few additions as possible: requests per token and identity by class (0 other,
  // 1 attacks stopped, 2 legitimate broken), per network and route by sub-group; the figures are
  // expanded from these after the pass.
  const tok3 = new Float64Array(p.tokenSlots * 3);
  const idn3 = new Float64Array(p.identitySlots * 3);
  const netSub = new Float64Array(p.networkSlots * SUBS);
  const routeSub = new Float64Array(p.routeSlots * SUBS);
  const netExHi = out.networkEx.hi;
  const routeExHi = out.routeEx.hi;
  const allExHi = out.allEx.hi;
  for await (const [s, seg] of yieldingSegments(segments)) {
    const { tok, idn, count, flags, verdict, network, route, exHi } = seg;
    for (let i = 0; i < seg.length; i++) {
      const t = tok[i]!;
      const tc = tcode[t]!;
      if (tc === OUT || (dimScoped && !inDims(scope, seg, i))) continue;
      const r = rowTab[((verdict[i]! << 3) | flags[i]!) * 8 + tc]!;
      const cls = r & 3;
      const sub = r >> 2;
      const n = count[i]!;
      const kt = t * 3 + cls;
      const kd = idn[i]! * 3 + cls;
      tok3[kt] = tok3[kt]! + n;
      idn3[kd] = idn3[kd]! + n;
      const net = network[i]!;
      const rt = route[i]!;
      const kn = net * SUBS + sub;
      const kr = rt * SUBS + sub;
      netSub[kn] = netSub[kn]! + n;
      routeSub[kr] = routeSub[kr]! + n;
      if (cls) {
        const hi = exHi[i]!;
        if (hi >= 0) {
          if (hi >= netExHi[net]!) keepGreaterExemplar(segments, out.networkEx, net, hi, s, i);
          if (hi >= routeExHi[rt]!) keepGreaterExemplar(segments, out.routeEx, rt, hi, s, i);
          if (hi >= allExHi[0]!) keepGreaterExemplar(segments, out.allEx, 0, hi, s, i);
        }
      }
    }
  }
  for (const [sums, r] of [[tok3, out.tokens], [idn3, out.identities]] as const) {
    for (let k = 0; k < r.n.length; k++) {
      const other = sums[k * 3]!;
      const attacks = sums[k * 3 + 1]!;
      const broken = sums[k * 3 + 2]!;
      r.n[k] = other + attacks + broken;
      r.w[k] = attacks + broken;
      r.c1[k] = broken;
    }
  }
  expandSubs(netSub, out.networks, out.all);
  expandSubs(routeSub, out.routes, null);
  return out;
}

/** Categories and broken reasons (with none) as the lookup table numbers them; SUBS: presented × category × broken slots. */
const CATS = SIMULATION_CATEGORIES.length;
const BROKEN_SLOTS = BROKEN_REASONS.length + 1;
const SUBS = 3 * CATS * BROKEN_SLOTS;

/** Figures per slot (and, with `all`, summed over every slot) from requests per slot × SUBS. */
function expandSubs(subs: Float64Array, fig: Float64Array, all: Float64Array | null): void {
  for (let k = 0; k < subs.length; k++) {
    const n = subs[k]!;
    if (!n) continue;
    const slot = Math.floor(k / SUBS);
    const sub = k % SUBS;
    addFigures(fig, slot * FIG.size, n, subCat(sub), subBroken(sub), subPresented(sub));
    if (all) addFigures(all, 0, n, subCat(sub), subBroken(sub), subPresented(sub));
  }
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
  const { segments, scope } = p;
  const { tcode, row: rowTab, dimScoped } = rowTables(p);
  for await (const [s, seg] of yieldingSegments(segments)) {
    const { tok, idn, count, flags, verdict, exHi } = seg;
    for (let i = 0; i < seg.length; i++) {
      // Most rows belong to no ranked token or identity: two loads decide that.
      const t = tok[i]!;
      const tr = tokenRow[t]!;
      const dr = identityRow[idn[i]!]!;
      if (tr < 0 && dr < 0) continue;
      const tc = tcode[t]!;
      if (tc === OUT || (dimScoped && !inDims(scope, seg, i))) continue;
      const r = rowTab[((verdict[i]! << 3) | flags[i]!) * 8 + tc]!;
      const sub = r >> 2;
      const c = subCat(sub);
      const b = subBroken(sub);
      const n = count[i]!;
      const pres = subPresented(sub);
      const hi = (r & 3) !== 0 ? exHi[i]! : -1;
      if (tr >= 0) {
        addFigures(out.tokens, tr * FIG.size, n, c, b, pres);
        if (hi >= 0) keepGreaterExemplar(segments, out.tokenEx, tr, hi, s, i);
      }
      if (dr >= 0) {
        addFigures(out.identities, dr * FIG.size, n, c, b, pres);
        if (hi >= 0) keepGreaterExemplar(segments, out.identityEx, dr, hi, s, i);
      }
    }
  }
  return out;
}

/**
 * Requests a gateway refused though their verdict does not say so (told by the notable rows), per
 * usage group: token, identity, gateway, route, client network, certificate, DPoP key, verdict and
 * reason, as the columns hold them (tok, idn, gateway, route, network: slots; cert, jkt, reason:
 * dimension numbers; 0 for NULL).
 */
export interface RefusedGroup {
  tok: number;
  idn: number;
  gateway: number;
  route: number;
  network: number;
  cert: number;
  jkt: number;
  verdict: number;
  reason: number;
  refused: number;
}

/** Requests of a token × identity × network × route × presented group moved from category `cat` (broken reason `broken`, -1 none) to `to`; slots as the columns hold them. */
export interface SlotMove {
  t: number;
  d: number;
  net: number;
  route: number;
  pres: number;
  moved: number;
  cat: number;
  broken: number;
  to: number;
}

/**
 * The refused requests moved to category `to`, taken from the usage rows in scope of their group (the
 * run-simulation.ts statement does the same by SQL): a group's rows summed, at most all of them.
 * What was presented follows from the group's certificate and key, so each group moves once.
 * A pass over the rows that looks only at the groups' tokens (one table read for the others).
 */
export async function matchRefusals(p: ScanInput, groups: readonly RefusedGroup[], to: number): Promise<SlotMove[]> {
  if (!groups.length) return [];
  const { segments, scope } = p;
  const { tcode, row: rowTab, dimScoped } = rowTables(p);
  // The groups of each token as a chain (head per token slot, next per group): a row is compared
  // only with its own token's groups, field by field.
  const head = new Int32Array(p.tokenSlots).fill(-1);
  const next = new Int32Array(groups.length);
  groups.forEach((g, k) => {
    next[k] = head[g.tok]!;
    head[g.tok] = k;
  });
  const n = new Float64Array(groups.length);
  const found: { pres: number; sub: number }[] = new Array(groups.length);
  for await (const [, seg] of yieldingSegments(segments)) {
    const { tok, idn, gateway, route, network, cert, jkt, verdict, reason, flags, count } = seg;
    for (let i = 0; i < seg.length; i++) {
      const t = tok[i]!;
      let k = head[t]!;
      if (k < 0) continue;
      const tc = tcode[t]!;
      if (tc === OUT || (dimScoped && !inDims(scope, seg, i))) continue;
      for (; k >= 0; k = next[k]!) {
        const g = groups[k]!;
        if (g.idn === idn[i] && g.gateway === gateway[i] && g.route === route[i] && g.network === network[i] && g.cert === cert[i] && g.jkt === jkt[i] && g.verdict === verdict[i] && g.reason === reason[i]) break;
      }
      if (k < 0) continue;
      n[k] = n[k]! + count[i]!;
      found[k] ??= { pres: flags[i]! & 3, sub: rowTab[((verdict[i]! << 3) | flags[i]!) * 8 + tc]! >> 2 };
    }
  }
  const out: SlotMove[] = [];
  groups.forEach((g, k) => {
    const moved = Math.min(n[k]!, g.refused);
    const f = found[k];
    if (f && moved > 0) out.push({ t: g.tok, d: g.idn, net: g.network, route: g.route, pres: f.pres, moved, cat: subCat(f.sub), broken: subBroken(f.sub), to });
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
