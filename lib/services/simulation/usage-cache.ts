// The range's usage rows and the tokens' attributes as columns in memory (lib/simulate
// usage-columns.ts), kept current from the database instead of read again for every simulation.
//
// What changed since the columns were read is known exactly, from transaction ids:
//  - each usage hour carries, per writer stripe, the id of the transaction that last wrote its rows
//    (evidence."UsageVersion", stamped by every writer before COMMIT: usage-versions.ts);
//  - each token carries the id of the transaction that last set its binding, lifetime, privileged
//    flag, audience or identity ("Token"."attrXid": its default, and a trigger on change).
// The cache remembers the snapshot (pg_current_snapshot()) each hour and the tokens were read at.
// A stamp the snapshot could not see — a transaction that had not committed, or started after — is
// a change: its hour is read again, its tokens re-read. Commit order does not matter, which a
// sequence number or a clock could not give. Hours whose stamps are gone (retention dropped their
// month) are dropped from memory.
//
// The snapshot is taken before anything is read, so on PGlite (no transaction around the reads,
// one connection) a write that lands between the reads only makes the next refresh read again.
// One refresh or scan at a time per database (a promise chain): simulations queue for the cache.
import { copyOutBinary } from '../../db/binary-copy-out.ts';
import type { Database } from '../../db/open.ts';
import { DenseIds, SegmentBuilder, UuidIndex, uuidBytes, type TokenColumns, type UsageRowIn, type UsageSegment } from '../../simulate/usage-columns.ts';
import type pg from 'pg';
import { ttlSql } from './scope.ts';

const HOUR_MS = 3_600_000;

export interface Snapshot {
  xmin: bigint;
  xmax: bigint;
  xip: ReadonlySet<bigint>;
}

/** pg_current_snapshot()'s text form, `xmin:xmax:xip,…`. */
export function parseSnapshot(text: string): Snapshot {
  const [xmin, xmax, xip] = text.split(':');
  if (xmin === undefined || xmax === undefined) throw new Error(`not a snapshot: ${text.slice(0, 80)}`);
  return { xmin: BigInt(xmin), xmax: BigInt(xmax), xip: new Set(xip ? xip.split(',').filter(Boolean).map(BigInt) : []) };
}

/** Whether a committed transaction's changes were visible in the snapshot (pg_visible_in_snapshot). */
export function visibleIn(xid: bigint, s: Snapshot): boolean {
  return xid < s.xmin || (xid < s.xmax && !s.xip.has(xid));
}

/** How the cache reads inside the caller's snapshot: rows of a statement, and on PostgreSQL the same as binary COPY. */
export interface CacheReader {
  rows<T>(sql: string, params: unknown[]): Promise<T[]>;
  client?: pg.ClientBase;
}

/** Rows the cache may hold before a simulation reads the database instead (≈ 75 bytes a row, its 17-byte exemplar included: 15 M ≈ 1.1 GB). */
export const MAX_CACHED_ROWS = 15_000_000;

export class CacheTooLarge extends Error {
  override readonly name = 'CacheTooLarge';
  constructor(rows: number) {
    super(`the range holds more than ${rows} usage rows`);
  }
}

/** By name: the server's preload and the route handlers run different module instances of this file (see `caches`). */
export function isCacheTooLarge(e: unknown): boolean {
  return e instanceof Error && e.name === 'CacheTooLarge';
}

interface CachedHour {
  seg: UsageSegment;
  snap: Snapshot;
  usedAt: number;
}

/** What one simulation reads: the range's segments and the indexes their slots refer to. */
export interface CachedUsage {
  segments: UsageSegment[];
  tokens: UuidIndex;
  identities: UuidIndex;
  attrs: TokenColumns;
  ns: DenseIds;
  gateway: DenseIds;
  route: DenseIds;
  network: DenseIds;
  /** What the refresh read (for the bench and logs). */
  loaded: { hours: number; rows: number; tokens: number };
}

const USAGE_FIELDS = 14;
const TOKEN_FIELDS = 5;

/** The usage row columns the cache keeps, computed by the database (flags: what was presented, whether the reason says the proof was missing). */
function usageSelect(missingIds: number[], where: string): string {
  const missing = missingIds.length ? `"reason" IN (${missingIds.map((n) => Math.trunc(n)).join(', ')})` : 'false';
  return `SELECT (extract(epoch FROM "hour") / 3600)::int4 AS h, "tokenId", "identityId", "ns", "gateway", "route", "network", "verdict",
                 ((CASE WHEN "cert" IS NOT NULL THEN 1 WHEN "jkt" IS NOT NULL THEN 2 ELSE 0 END) + (CASE WHEN ${missing} THEN 4 ELSE 0 END))::int2 AS flags,
                 "count"::float8 AS count, "exemplar", "cert", "jkt", "reason"
            FROM "evidence"."Usage" WHERE ${where}`;
}

/** A token's attributes as the simulation's classifier reads them (binding slot, lifetime, privileged) and its stamp. */
function tokenSelect(where: string): string {
  return `SELECT t.id, (CASE t.binding WHEN 'bearer' THEN 0 WHEN 'mtls' THEN 1 WHEN 'dpop' THEN 2 ELSE 3 END)::int2 AS binding,
                 ${ttlSql('t')}::int4 AS ttl, (CASE WHEN t.privileged THEN 1 ELSE 0 END)::int2 AS privileged,
                 t."attrXid"::text::int8 AS xid
            FROM "Token" t WHERE ${where}`;
}

const isoLiteral = (ms: number) => `'${new Date(ms).toISOString()}'::timestamptz`;

export class UsageColumnsCache {
  readonly tokens = new UuidIndex();
  readonly identities = new UuidIndex();
  readonly ns = new DenseIds();
  readonly gateway = new DenseIds();
  readonly route = new DenseIds();
  readonly network = new DenseIds();
  attrs: TokenColumns = { binding: new Uint8Array(1024).fill(3), ttl: new Int32Array(1024).fill(-1), privileged: new Uint8Array(1024).fill(2) };
  readonly hours = new Map<number, CachedHour>();
  tokenSnap: Snapshot | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  #refreshed = false;

  /** Whether a refresh has completed: the columns hold a range (a refresh still reading them does not count). */
  hasRead(): boolean {
    return this.#refreshed;
  }

  /** Runs `fn` with the cache to itself (refresh and scans of one simulation). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  #tokenSlot(b: Buffer, o: number): number {
    const slot = this.tokens.slotOf(b, o);
    if (slot >= this.attrs.binding.length) {
      const size = Math.max(slot + 1, this.attrs.binding.length * 2);
      const binding = new Uint8Array(size).fill(3);
      const ttl = new Int32Array(size).fill(-1);
      const privileged = new Uint8Array(size).fill(2);
      binding.set(this.attrs.binding);
      ttl.set(this.attrs.ttl);
      privileged.set(this.attrs.privileged);
      this.attrs = { binding, ttl, privileged };
    }
    return slot;
  }

  #setToken(b: Buffer, o: number, binding: number, ttl: number | null, privileged: number): void {
    const slot = this.#tokenSlot(b, o);
    this.attrs.binding[slot] = binding;
    this.attrs.ttl[slot] = ttl ?? -1;
    this.attrs.privileged[slot] = privileged;
  }

  /** Reads the tokens whose attributes the cache has not seen (all of them the first time). */
  async #refreshTokens(r: CacheReader, snap: Snapshot): Promise<number> {
    const since = this.tokenSnap;
    const where = since ? `t."attrXid" >= '${since.xmin}'::xid8` : 'true';
    let n = 0;
    if (r.client) {
      await copyOutBinary(r.client, tokenSelect(where), TOKEN_FIELDS, (buf, off, len) => {
        if (since && visibleIn(buf.readBigInt64BE(off[4]!), since)) return;
        this.#setToken(buf, off[0]!, buf.readInt16BE(off[1]!), len[2]! < 0 ? null : buf.readInt32BE(off[2]!), buf.readInt16BE(off[3]!));
        n++;
      });
    } else {
      const rows = await r.rows<{ id: string; binding: number; ttl: number | null; privileged: number; xid: string | number | bigint }>(tokenSelect(where), []);
      for (const t of rows) {
        if (since && visibleIn(BigInt(t.xid), since)) continue;
        this.#setToken(uuidBytes(t.id), 0, Number(t.binding), t.ttl === null ? null : Number(t.ttl), Number(t.privileged));
        n++;
      }
    }
    this.tokenSnap = snap;
    return n;
  }

  /** Reads the usage rows of `hours` (epoch hour numbers) into fresh segments. */
  async #loadHours(r: CacheReader, hours: number[], range: { from: number; to: number }, missingIds: number[], budget: number): Promise<Map<number, UsageSegment>> {
    const builders = new Map<number, SegmentBuilder>();
    for (const h of hours) builders.set(h, new SegmentBuilder(h * HOUR_MS));
    const all = hours.length === (range.to - range.from) / HOUR_MS;
    // A whole range as a range (partition pruning, one scan); otherwise the hours by value.
    const where = all
      ? `"hour" >= ${isoLiteral(range.from)} AND "hour" < ${isoLiteral(range.to)}`
      : `"hour" = ANY(ARRAY[${hours.map((h) => isoLiteral(h * HOUR_MS)).join(', ')}])`;
    // Over the budget the rows are still read to the end (a COPY stopped halfway leaves the
    // connection in the middle of it), just not kept.
    let rows = 0;
    let lastHour = -1;
    let builder: SegmentBuilder | undefined;
    const add = (h: number, row: UsageRowIn) => {
      if (++rows > budget) return;
      if (h !== lastHour) {
        lastHour = h;
        builder = builders.get(h);
      }
      builder?.add(row);
    };
    const row: UsageRowIn = { tok: 0, idn: 0, ns: 0, gateway: 0, route: 0, network: 0, cert: 0, jkt: 0, reason: 0, verdict: 0, flags: 0, count: 0, exBuf: null, exOff: 0, exLen: 0 };
    if (r.client) {
      // Field numbers: usageSelect's columns. No closure per tuple: millions of them.
      await copyOutBinary(r.client, usageSelect(missingIds, where), USAGE_FIELDS, (buf, off, len) => {
        row.tok = len[1]! < 0 ? 0 : this.#tokenSlot(buf, off[1]!);
        row.idn = len[2]! < 0 ? 0 : this.identities.slotOf(buf, off[2]!);
        row.ns = this.ns.slotOf(buf.readInt32BE(off[3]!));
        row.gateway = len[4]! < 0 ? 0 : this.gateway.slotOf(buf.readInt32BE(off[4]!));
        row.route = len[5]! < 0 ? 0 : this.route.slotOf(buf.readInt32BE(off[5]!));
        row.network = len[6]! < 0 ? 0 : this.network.slotOf(buf.readInt32BE(off[6]!));
        row.verdict = buf.readInt16BE(off[7]!);
        row.flags = buf.readInt16BE(off[8]!);
        row.count = buf.readDoubleBE(off[9]!);
        row.exBuf = buf;
        row.exOff = off[10]!;
        row.exLen = Math.max(0, len[10]!);
        row.cert = len[11]! < 0 ? 0 : buf.readInt32BE(off[11]!);
        row.jkt = len[12]! < 0 ? 0 : buf.readInt32BE(off[12]!);
        row.reason = len[13]! < 0 ? 0 : buf.readInt32BE(off[13]!);
        add(buf.readInt32BE(off[0]!), row);
      });
    } else {
      const list = await r.rows<{ h: number; tokenId: string | null; identityId: string | null; ns: number; gateway: number | null; route: number | null; network: number | null; verdict: number; flags: number; count: number; exemplar: Uint8Array | null; cert: number | null; jkt: number | null; reason: number | null }>(
        usageSelect(missingIds, where),
        [],
      );
      for (const u of list) {
        row.tok = u.tokenId === null ? 0 : this.#tokenSlot(uuidBytes(u.tokenId), 0);
        row.idn = this.identities.slotOfText(u.identityId);
        row.ns = this.ns.slotOf(u.ns);
        row.gateway = this.gateway.slotOf(u.gateway);
        row.route = this.route.slotOf(u.route);
        row.network = this.network.slotOf(u.network);
        row.verdict = Number(u.verdict);
        row.flags = Number(u.flags);
        row.count = Number(u.count);
        row.exBuf = u.exemplar;
        row.exOff = 0;
        row.exLen = u.exemplar?.length ?? 0;
        row.cert = Number(u.cert ?? 0);
        row.jkt = Number(u.jkt ?? 0);
        row.reason = Number(u.reason ?? 0);
        add(Number(u.h), row);
      }
    }
    if (rows > budget) throw new CacheTooLarge(budget);
    return new Map([...builders].map(([h, b]) => [h, b.build()]));
  }

  /**
   * Brings the range's hours and the tokens up to the reader's snapshot (its first statement takes
   * it) and answers the range's columns. `missingIds`: the reason numbers that say the client's own
   * proof was missing (dimension numbers never change meaning, so rows read earlier stay right).
   */
  async refresh(r: CacheReader, range: { from: Date; to: Date }, missingIds: number[], budget = MAX_CACHED_ROWS): Promise<CachedUsage> {
    const [{ snap: snapText }] = (await r.rows<{ snap: string }>(`SELECT pg_current_snapshot()::text AS snap`, [])) as [{ snap: string }];
    const snap = parseSnapshot(snapText);
    const tokensRead = await this.#refreshTokens(r, snap);
    const from = range.from.getTime();
    const to = range.to.getTime();
    const stamps = await r.rows<{ h: number; xid: string }>(
      `SELECT (extract(epoch FROM "hour") / 3600)::int4 AS h, "xid"::text AS xid FROM "evidence"."UsageVersion" WHERE "hour" >= $1::timestamptz AND "hour" < $2::timestamptz`,
      [range.from.toISOString(), range.to.toISOString()],
    );
    const stamped = new Map<number, bigint[]>();
    for (const s of stamps) {
      const h = Number(s.h);
      const list = stamped.get(h) ?? [];
      list.push(BigInt(s.xid));
      stamped.set(h, list);
    }
    // Hours of the range no writer has stamped hold no usage rows (any longer).
    for (let h = from / HOUR_MS; h < to / HOUR_MS; h++) if (!stamped.has(h)) this.hours.delete(h);
    const stale = [...stamped].filter(([h, xids]) => {
      const c = this.hours.get(h);
      return !c || xids.some((x) => !visibleIn(x, c.snap));
    }).map(([h]) => h);
    const now = Date.now();
    let rowsRead = 0;
    if (stale.length) {
      const cachedRows = [...this.hours.values()].reduce((n, c) => n + c.seg.length, 0);
      const fresh = await this.#loadHours(r, stale.sort((a, b) => a - b), { from, to }, missingIds, Math.max(0, budget - cachedRows + stale.reduce((n, h) => n + (this.hours.get(h)?.seg.length ?? 0), 0)));
      for (const [h, seg] of fresh) {
        this.hours.set(h, { seg, snap, usedAt: now });
        rowsRead += seg.length;
      }
    }
    const segments: UsageSegment[] = [];
    for (const h of [...stamped.keys()].sort((a, b) => a - b)) {
      const c = this.hours.get(h)!;
      c.snap = snap;
      c.usedAt = now;
      if (c.seg.length) segments.push(c.seg);
    }
    this.#evict(now, from, to);
    this.#refreshed = true;
    return {
      segments, tokens: this.tokens, identities: this.identities, attrs: this.attrs, ns: this.ns, gateway: this.gateway, route: this.route, network: this.network,
      loaded: { hours: stale.length, rows: rowsRead, tokens: tokensRead },
    };
  }

  /** Hours outside the range last used more than 10 minutes ago leave memory. */
  #evict(now: number, from: number, to: number): void {
    for (const [h, c] of this.hours) if ((h * HOUR_MS < from || h * HOUR_MS >= to) && now - c.usedAt > 600_000) this.hours.delete(h);
  }
}

// One cache per open database (the server keeps one database open; the CLI opens one per command),
// kept on globalThis: the server's start module (which preloads it) and the route handlers Next.js
// bundled (which read it) hold different instances of this module, as for the database itself
// (lib/server/database.ts).
const caches = ((globalThis as Record<symbol, unknown>)[Symbol.for('holdfast.usageColumns')] ??= new WeakMap<Database, UsageColumnsCache>()) as WeakMap<Database, UsageColumnsCache>;

/** Forgets the database's columns: the next simulation reads them anew (benchmarks time that). */
export function dropUsageCache(db: Database): void {
  caches.delete(db);
}

export function usageCacheOf(db: Database): UsageColumnsCache {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new UsageColumnsCache()));
  return c;
}
