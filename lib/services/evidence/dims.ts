// The dimension dictionary (evidence."Dim"): every gateway, client network, route, certificate or
// DPoP key thumbprint, reason and dedupe namespace that evidence rows mention is stored once and
// referred to by a 4-byte number, which keeps a ledger row narrow (~110 bytes on the heap).
// Numbers are resolved per chunk, from a per-database cache first.
import type { SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';

export const DIM = {
  /** Dedupe namespace: a source id, or `format:<name>` for a batch without a source. */
  ns: 1,
  gateway: 2,
  /** Client network (lib/risk/network-origin.ts at the stored prefix, without the `/bits`). */
  network: 3,
  /** `host /prefix` (lib/ingest/evidence/route.ts). */
  route: 4,
  /** Certificate x5t#S256. */
  cert: 5,
  /** DPoP key RFC 7638 thumbprint. */
  jkt: 6,
  reason: 7,
  /** Certificate SHA-1 hex when the gateway logged nothing better (NGINX `$ssl_client_fingerprint`). */
  certSha1: 8,
} as const;
export type DimKind = (typeof DIM)[keyof typeof DIM];

/** Longest value kept (hostile logs can carry anything in a Host header). */
export const DIM_VALUE_MAX = 512;

export class DimCache {
  // One map per kind, indexed by the kind: a lookup per request and dimension costs no string
  // concatenation and one Map lookup.
  private ids: Array<Map<string, number> | undefined> = [];
  private names = new Map<number, { kind: number; value: string }>();
  private count = 0;

  private kindMap(kind: number): Map<string, number> {
    let m = this.ids[kind];
    if (!m) this.ids[kind] = m = new Map();
    return m;
  }

  /** The number of a value when known (values as stored: at most DIM_VALUE_MAX characters, no NUL). */
  get(kind: DimKind, value: string): number | undefined {
    return this.ids[kind]?.get(value);
  }

  valueOf(id: number): { kind: number; value: string } | undefined {
    return this.names.get(id);
  }

  set(kind: number, value: string, id: number): void {
    const m = this.kindMap(kind);
    if (!m.has(value)) this.count++;
    m.set(value, id);
    this.names.set(id, { kind, value });
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.ids = [];
    this.names.clear();
    this.count = 0;
  }

  /**
   * Numbers for every (kind, value) asked, creating the missing ones. `exec` is where they are
   * written: on PostgreSQL a connection of its own, outside any ingest batch (an inserted value
   * would otherwise hold its unique-index entry until that batch commits, and a concurrent batch
   * meeting the same new value would wait for it); on PGlite the batch's own transaction (its one
   * connection), and the cache is cleared if that batch rolls back.
   */
  async resolve(exec: SqlExecutor, wanted: Iterable<readonly [DimKind, string]>): Promise<void> {
    const missing = new Map<string, readonly [number, string]>();
    for (const [kind, raw] of wanted) {
      const value = storedDimValue(raw);
      if (this.get(kind, value) === undefined) missing.set(`${kind}\u0000${value}`, [kind, value]);
    }
    if (!missing.size) return;
    if (this.count > 500_000) this.clear();
    // Sorted: two writers inserting the same new values take their index entries in one order.
    const list = [...missing.values()].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    const kinds = list.map((x) => x[0]);
    const values = list.map((x) => x[1]);
    await exec(
      `INSERT INTO "evidence"."Dim" ("kind", "value") SELECT k, v FROM unnest($1::int2[], $2::text[]) AS u(k, v) ON CONFLICT ("kind", "value") DO NOTHING`,
      [kinds, values],
    );
    const { rows } = await exec(
      `SELECT d."id", d."kind", d."value" FROM "evidence"."Dim" d JOIN unnest($1::int2[], $2::text[]) AS u(k, v) ON d."kind" = u.k AND d."value" = u.v`,
      [kinds, values],
    );
    for (const r of rows as Array<{ id: number; kind: number; value: string }>) this.set(Number(r.kind), r.value, Number(r.id));
  }

  /** The number of a value, or null for no value; call after `resolve` saw it. */
  idOf(kind: DimKind, value: string | null | undefined): number | null {
    if (value === null || value === undefined || value === '') return null;
    const id = this.get(kind, value) ?? this.get(kind, storedDimValue(value));
    if (id === undefined) throw new Error(`dimension ${kind}:${value.slice(0, 40)} was not resolved`);
    return id;
  }
}

/** A value as the dictionary stores it: at most DIM_VALUE_MAX characters, NUL as U+FFFD. */
export function storedDimValue(v: string): string {
  const s = v.length > DIM_VALUE_MAX ? v.slice(0, DIM_VALUE_MAX) : v;
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

const caches = new WeakMap<Database, DimCache>();

/** The process-wide dimension cache of one database. */
export function dimCache(db: Database): DimCache {
  let c = caches.get(db);
  if (!c) caches.set(db, (c = new DimCache()));
  return c;
}
