// Partitions of the evidence tables, created ahead of need and dropped whole when their retention
// ends (never a mass DELETE: dropping a partition frees its space at once and costs no vacuum).
//  - "Request" (the ledger): one partition per day (lib/ingest/evidence/ledger-day.ts), kept for
//    the dedupe window (HOLDFAST_REQUEST_WINDOW_DAYS) after the day.
//  - "Usage" and "Notable": one partition per calendar month (UTC), kept for their retentions.
//  - "Hop" (hops of correlated requests) lives like the ledger: daily, the dedupe window;
//    "HopUsage" (decided chains per hour) like usage: monthly, the usage retention.
// A partition is created as a plain table (LIKE the parent, indexes included) and then attached:
// ATTACH takes only SHARE UPDATE EXCLUSIVE on the parent, which neither ingest (ROW EXCLUSIVE) nor
// readers (ACCESS SHARE) wait for — `CREATE TABLE … PARTITION OF` would take ACCESS EXCLUSIVE.
// Creators serialise on an advisory lock; a partition that exists already is left alone.
import { withTransaction, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import { dayLabel, dayNumber, DAY_MS } from '../../ingest/evidence/ledger-day.ts';
import { appendAuditEntryRaw } from '../../audit/append-audit-entry.ts';
import { forgetUsageHours } from './usage-versions.ts';
import { holdsInForce, lockHolds } from './holds.ts';

export interface RetentionConfig {
  /** Days a request stays in the ledger (exact dedupe, `holdfast events`), after the day it is filed under. */
  requestWindowDays: number;
  /** Days hourly usage evidence is kept. */
  usageRetentionDays: number;
  /** Days notable requests (failures, anomalies) are kept individually. */
  notableRetentionDays: number;
}

export const DEFAULT_RETENTION: RetentionConfig = { requestWindowDays: 7, usageRetentionDays: 400, notableRetentionDays: 400 };

/** How far ahead of the clock a request may be dated and still be kept (skewed gateway clocks). */
export const FUTURE_ALLOWANCE_MS = 2 * DAY_MS;

const PARTITION_LOCK = 727_002;

export type PartitionedTable = 'Request' | 'Usage' | 'Notable' | 'Hop' | 'HopUsage';

/** Tables partitioned by ledger day (keyed by a day number); the others by calendar month (keyed by ms). */
const DAILY: ReadonlySet<PartitionedTable> = new Set(['Request', 'Hop']);

/**
 * Fill factor of the hourly aggregates' partitions. Every batch adds to the rows of the current hour
 * (count, firstAt, lastAt: no indexed column), and with room left on the row's page PostgreSQL
 * writes the new version there without touching the five indexes (a HOT update) and prunes the old
 * one on the next visit. Full pages (the default 100) made most updates cold: 200 rows upserted by
 * 60 batches of 200 lines left 29 % of the updates HOT and the partition at 832 KiB; at 70,
 * 97 % HOT and 88 KiB (80: 79 %, 90: 47 %). A finished hour's rows then sit in pages 70 % full.
 * Partitions made before this setting keep full pages until their month is over.
 */
const AGGREGATE_FILLFACTOR = 70;
const FILLFACTOR: Partial<Record<PartitionedTable, number>> = { Usage: AGGREGATE_FILLFACTOR, HopUsage: AGGREGATE_FILLFACTOR };

/** Start (ms) of the UTC month holding `ms`. */
export function monthStart(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

function nextMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

function monthLabel(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7).replace('-', '');
}

/** Name and bounds of the partition of `table` that holds `key` (a day number for Request and Hop, ms for the others). */
export function partitionFor(table: PartitionedTable, key: number): { name: string; from: string; to: string } {
  if (DAILY.has(table)) return { name: `${table}_${dayLabel(key)}`, from: String(key), to: String(key + 1) };
  const start = monthStart(key);
  return { name: `${table}_${monthLabel(start)}`, from: `'${new Date(start).toISOString()}'`, to: `'${new Date(nextMonth(start)).toISOString()}'` };
}

/**
 * The span of occurrence times evidence keeps at `nowMs`: older lines are past retention, later ones
 * implausible; and where each store's own retention begins (hourly usage, notable requests). With
 * `heldSinceMs` (how far back the evidence holds in force reach: holds.ts heldSinceMs) every store
 * keeps from then on too: the holds keep maintenance from dropping those months until released.
 */
export function keptSpan(nowMs: number, cfg: RetentionConfig, heldSinceMs: number | null = null): { fromMs: number; toMs: number; usageFromMs: number; notableFromMs: number } {
  const held = heldSinceMs ?? Infinity;
  const usageFromMs = Math.min(nowMs - cfg.usageRetentionDays * DAY_MS, held);
  const notableFromMs = Math.min(nowMs - cfg.notableRetentionDays * DAY_MS, held);
  return { fromMs: Math.min(usageFromMs, notableFromMs), toMs: nowMs + FUTURE_ALLOWANCE_MS, usageFromMs, notableFromMs };
}

async function existingPartitions(exec: SqlExecutor): Promise<Set<string>> {
  return new Set((await partitionTables(exec)).filter((p) => p.attached).map((p) => p.name));
}

async function createPartitions(exec: SqlExecutor, wanted: Array<{ table: PartitionedTable; key: number }>): Promise<void> {
  await exec(`SELECT pg_advisory_xact_lock(${PARTITION_LOCK})`, []);
  const have = await existingPartitions(exec);
  for (const { table, key } of wanted) {
    const p = partitionFor(table, key);
    if (have.has(p.name)) continue;
    const fill = FILLFACTOR[table];
    await exec(`CREATE TABLE IF NOT EXISTS "evidence"."${p.name}" (LIKE "evidence"."${table}" INCLUDING ALL)${fill ? ` WITH (fillfactor = ${fill})` : ''}`, []);
    await exec(`ALTER TABLE "evidence"."${table}" ATTACH PARTITION "evidence"."${p.name}" FOR VALUES FROM (${p.from}) TO (${p.to})`, []);
    have.add(p.name);
  }
}

/** Which partitions exist, per database, so a chunk costs no catalog query once they do. */
export class PartitionSet {
  private known = new Set<string>();

  has(table: PartitionedTable, key: number): boolean {
    return this.known.has(partitionFor(table, key).name);
  }

  forget(): void {
    this.known.clear();
  }

  /**
   * Makes sure the partitions for these keys exist. `exec` runs the DDL in its own transaction:
   * on PostgreSQL pass the database (a pooled connection of its own, committed at once, so a
   * batch transaction that is still open can write into them); on PGlite the batch's transaction
   * (its only connection) — and forget() if that batch rolls back.
   */
  async ensure(db: Database, wanted: Array<{ table: PartitionedTable; key: number }>, inTx?: SqlExecutor): Promise<void> {
    const todo = wanted.filter((w) => !this.known.has(partitionFor(w.table, w.key).name));
    if (!todo.length) return;
    if (inTx) await createPartitions(inTx, todo);
    else await withTransaction(db, (exec) => createPartitions(exec, todo));
    for (const w of todo) this.known.add(partitionFor(w.table, w.key).name);
  }
}

const sets = new WeakMap<Database, PartitionSet>();

export function partitionSet(db: Database): PartitionSet {
  let s = sets.get(db);
  if (!s) sets.set(db, (s = new PartitionSet()));
  return s;
}

/** The partitions every writer needs around `nowMs`: the ledger days of a live stream and this and next month. */
export function currentPartitions(nowMs: number): Array<{ table: PartitionedTable; key: number }> {
  const today = dayNumber(nowMs);
  const out: Array<{ table: PartitionedTable; key: number }> = [];
  for (let d = today - 1; d <= today + 1; d++) out.push({ table: 'Request', key: d });
  for (const m of [monthStart(nowMs), nextMonth(nowMs)]) out.push({ table: 'Usage', key: m }, { table: 'Notable', key: m });
  return out;
}

/** A partition's table and the span of time it holds (`toMs` exclusive), from its name; null for any other table. */
export function partitionOfName(name: string): { table: PartitionedTable; fromMs: number; toMs: number } | null {
  const m = /^(Request|Usage|Notable|Hop|HopUsage)_(\d{4})(\d{2})(\d{2})?$/.exec(name);
  if (!m) return null;
  const table = m[1] as PartitionedTable;
  if (DAILY.has(table) !== (m[4] !== undefined)) return null;
  if (DAILY.has(table)) {
    const fromMs = Date.UTC(Number(m[2]), Number(m[3]) - 1, Number(m[4]));
    return { table, fromMs, toMs: fromMs + DAY_MS };
  }
  const fromMs = Date.UTC(Number(m[2]), Number(m[3]) - 1, 1);
  return { table, fromMs, toMs: nextMonth(fromMs) };
}

/** Days a table's partitions are kept, and the setting that says so. */
export function retentionOf(table: PartitionedTable, cfg: RetentionConfig): { days: number; setting: string } {
  if (DAILY.has(table)) return { days: cfg.requestWindowDays, setting: 'HOLDFAST_REQUEST_WINDOW_DAYS' };
  if (table === 'Notable') return { days: cfg.notableRetentionDays, setting: 'HOLDFAST_NOTABLE_RETENTION_DAYS' };
  return { days: cfg.usageRetentionDays, setting: 'HOLDFAST_USAGE_RETENTION_DAYS' };
}

/** A partition table of the evidence schema: its name, the table and span it holds, whether attached. */
export interface PartitionTable {
  name: string;
  table: PartitionedTable;
  fromMs: number;
  toMs: number;
  attached: boolean;
}

/**
 * When a partition's retention ends (it is dropped by the first maintenance run at or after it). A
 * ledger day is kept for the window after the day it is filed under, and the day after that (a
 * request filed late in its day keeps its full window); a month, for its retention after its end.
 */
export function partitionDropsAt(p: Pick<PartitionTable, 'table' | 'fromMs' | 'toMs'>, cfg: RetentionConfig): number {
  const { days } = retentionOf(p.table, cfg);
  if (DAILY.has(p.table)) return (dayNumber(p.fromMs) + days + 2) * DAY_MS;
  return p.toMs + days * DAY_MS;
}

/**
 * The partition tables in the evidence schema, attached or not: a table left detached (a drop
 * interrupted between DETACH and DROP) is still found, and dropped once its retention has ended.
 */
export async function partitionTables(exec: SqlExecutor): Promise<PartitionTable[]> {
  const { rows } = await exec(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid) AS attached
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'evidence' AND c.relkind = 'r'`,
    [],
  );
  const out: PartitionTable[] = [];
  for (const r of rows as Array<{ name: string; attached: boolean }>) {
    const p = partitionOfName(r.name);
    if (p) out.push({ name: r.name, ...p, attached: r.attached });
  }
  return out;
}

/** Partitions whose retention has ended at `nowMs`. */
export async function expiredPartitions(exec: SqlExecutor, nowMs: number, cfg: RetentionConfig): Promise<PartitionTable[]> {
  return (await partitionTables(exec)).filter((p) => partitionDropsAt(p, cfg) <= nowMs).sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Partitions up to this size are counted row by row when dropped; larger ones by the planner's estimate. */
const COUNTED_BYTES = 256 * 1024 * 1024;

/** A partition's bytes (indexes and TOAST included) and rows: counted up to `countUpTo` bytes or when never analysed, else estimated. */
export async function partitionSize(exec: SqlExecutor, name: string, countUpTo = COUNTED_BYTES): Promise<{ bytes: number; rows: number; estimated: boolean }> {
  const { rows } = await exec(
    `SELECT pg_total_relation_size(c.oid)::int8::text AS bytes, c.reltuples::int8::text AS tuples
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'evidence' AND c.relname = $1`,
    [name],
  );
  const r = rows[0] as { bytes: string; tuples: string } | undefined;
  if (!r) return { bytes: 0, rows: 0, estimated: false };
  const bytes = Number(r.bytes);
  const tuples = Number(r.tuples);
  if (bytes > countUpTo && tuples >= 0) return { bytes, rows: tuples, estimated: true };
  const { rows: counted } = await exec(`SELECT count(*)::int8::text AS n FROM "evidence"."${name}"`, []);
  return { bytes, rows: Number((counted[0] as { n: string }).n), estimated: false };
}

/** Who drops partitions, in the audit log. */
export const RETENTION_ACTOR = 'system:evidence-retention';

/** The partition bounds of an existing partition table, as ATTACH PARTITION takes them. */
function boundsOf(p: Pick<PartitionTable, 'table' | 'fromMs'>): { from: string; to: string } {
  return partitionFor(p.table, DAILY.has(p.table) ? dayNumber(p.fromMs) : p.fromMs);
}

/**
 * Drops every partition whose retention has ended, unless an evidence hold is in force (holds.ts):
 * then nothing is dropped and the partitions that would have been are returned as `held`. On
 * PostgreSQL each is detached CONCURRENTLY first (waits for queries using it, blocks nobody) and
 * then dropped; PGlite has one connection, so a plain DETACH is the same thing there. Each drop
 * commits with its audit entry (`evidence.partition_dropped`: the partition, the span it held, its
 * size and estimated rows, the retention that ended it): evidence is destroyed on the record or not
 * at all. The drop's transaction checks for holds again under the hold lock: a hold placed after the
 * DETACH keeps the partition (attached again).
 */
export async function dropExpiredPartitions(db: Database, nowMs: number, cfg: RetentionConfig): Promise<{ dropped: string[]; held: string[] }> {
  const run: SqlExecutor = async (sql, params) => ({ rows: await db.query(sql, params) });
  const expired = await expiredPartitions(run, nowMs, cfg);
  const dropped: string[] = [];
  const held: string[] = [];
  if (expired.length && (await holdsInForce(run)).length) return { dropped, held: expired.map((p) => p.name) };
  for (const [i, p] of expired.entries()) {
    const { table, name, fromMs, toMs, attached } = p;
    if (attached && db.kind === 'postgres') await db.query(`ALTER TABLE "evidence"."${table}" DETACH PARTITION "evidence"."${name}" CONCURRENTLY`);
    const gone = await withTransaction(db, async (exec) => {
      await lockHolds(exec, 'drop');
      if ((await holdsInForce(exec)).length) {
        if (attached && db.kind === 'postgres') {
          const b = boundsOf(p);
          await exec(`ALTER TABLE "evidence"."${table}" ATTACH PARTITION "evidence"."${name}" FOR VALUES FROM (${b.from}) TO (${b.to})`, []);
        }
        return false;
      }
      if (attached && db.kind !== 'postgres') await exec(`ALTER TABLE "evidence"."${table}" DETACH PARTITION "evidence"."${name}"`, []);
      const size = await partitionSize(exec, name);
      await exec(`DROP TABLE "evidence"."${name}"`, []);
      if (table === 'Usage') await forgetUsageHours(exec, new Date(fromMs), new Date(toMs));
      const { days, setting } = retentionOf(table, cfg);
      await appendAuditEntryRaw(exec, {
        actor: RETENTION_ACTOR,
        action: 'evidence.partition_dropped',
        target: `evidence:${name}`,
        details: {
          table, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(),
          bytes: size.bytes, rows: size.rows, rowsEstimated: size.estimated,
          retention: { days, setting }, ...(attached ? {} : { leftOver: true }),
        },
      });
      return true;
    });
    if (gone) dropped.push(name);
    else {
      // A hold came in during this run: the rest is kept without being detached at all.
      held.push(...expired.slice(i).map((x) => x.name));
      break;
    }
  }
  if (dropped.length) partitionSet(db).forget();
  return { dropped, held };
}
