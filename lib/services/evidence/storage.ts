// What the evidence store keeps, for the people who answer for it: per store (ledger, hourly usage,
// notable requests, hops), how long it is kept and by which setting, how many partitions, how much
// space and how many rows, the oldest time it still holds and when its next partition is due to go;
// and the partitions retention dropped lately, read back from the audit log where each drop was
// recorded (partitions.ts); and the evidence holds that stop retention (holds.ts). Read by the Settings page and GET /api/v1/evidence/storage.
import type { SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { EvidenceHold } from './hold-schemas.ts';
import { listEvidenceHolds } from './holds.ts';
import { evidenceRetention } from './maintenance.ts';
import { partitionDropsAt, partitionSize, partitionTables, retentionOf, type PartitionedTable, type RetentionConfig } from './partitions.ts';

/** The stores in the order they are shown, with what each holds. */
export const EVIDENCE_STORES: ReadonlyArray<{ table: PartitionedTable; label: string; holds: string }> = [
  { table: 'Request', label: 'Request ledger', holds: 'one narrow row per request: exact dedupe of re-sent lines, request lookups and holdfast events' },
  { table: 'Usage', label: 'Hourly usage', holds: 'requests counted per token, identity, source, credential, client network, verdict and hour: every view, rule and export' },
  { table: 'Notable', label: 'Notable requests', holds: 'every failure and anomaly, one by one, with its redacted line' },
  { table: 'Hop', label: 'Hops', holds: 'requests seen by more than one hop (edge and backend), for chain verdicts' },
  { table: 'HopUsage', label: 'Hourly chain usage', holds: 'decided chains (client → edge → backend) counted per hour' },
];

export interface EvidenceStoreRow {
  table: PartitionedTable;
  label: string;
  holds: string;
  keptDays: number;
  /** The configuration setting the retention comes from. */
  setting: string;
  partitions: number;
  /** Bytes on disk, indexes and TOAST included. */
  bytes: number;
  rows: number;
  /** Some partitions' rows are the planner's estimate (large ones), not a count. */
  rowsEstimated: boolean;
  /** Start of the oldest partition: the earliest time this store can still hold. */
  oldestFrom: string | null;
  /** The oldest partition and when its retention ends (the first maintenance run after drops it, unless a hold is in force). */
  nextDrop: { partition: string; at: string } | null;
  /** Partitions whose retention has ended and that are still here: kept by a hold, or awaiting the next maintenance run. */
  overdue: number;
}

export interface PartitionDrop {
  at: string;
  partition: string;
  table: string;
  from: string;
  to: string;
  bytes: number;
  rows: number;
  /** Audit entry number. */
  seq: string;
}

export interface EvidenceStorageView {
  retention: RetentionConfig;
  /** Evidence holds in force, then the latest released (holds.ts). While any is in force, retention drops nothing. */
  holds: EvidenceHold[];
  held: boolean;
  stores: EvidenceStoreRow[];
  totalBytes: number;
  /** The latest partitions dropped by retention, newest first. */
  drops: PartitionDrop[];
}

/** Partitions up to this size are counted for the view; larger ones take the planner's estimate. */
const VIEW_COUNTED_BYTES = 16 * 1024 * 1024;
export const DROPS_SHOWN = 10;

/** The evidence store as it stands, under the retention in force (or `retention`). */
export async function evidenceStorage(db: Database, opts: { retention?: RetentionConfig; now?: Date } = {}): Promise<EvidenceStorageView> {
  const retention = opts.retention ?? evidenceRetention();
  const nowMs = (opts.now ?? new Date()).getTime();
  const exec: SqlExecutor = async (sql, params) => ({ rows: await db.query(sql, params) });
  const parts = (await partitionTables(exec)).filter((p) => p.attached);
  const stores: EvidenceStoreRow[] = [];
  for (const s of EVIDENCE_STORES) {
    const mine = parts.filter((p) => p.table === s.table).sort((a, b) => a.fromMs - b.fromMs);
    let bytes = 0;
    let rows = 0;
    let rowsEstimated = false;
    for (const p of mine) {
      const size = await partitionSize(exec, p.name, VIEW_COUNTED_BYTES);
      bytes += size.bytes;
      rows += size.rows;
      rowsEstimated ||= size.estimated;
    }
    const { days, setting } = retentionOf(s.table, retention);
    const oldest = mine[0];
    stores.push({
      ...s, keptDays: days, setting, partitions: mine.length, bytes, rows, rowsEstimated,
      oldestFrom: oldest ? new Date(oldest.fromMs).toISOString() : null,
      nextDrop: oldest ? { partition: oldest.name, at: new Date(partitionDropsAt(oldest, retention)).toISOString() } : null,
      overdue: mine.filter((p) => partitionDropsAt(p, retention) <= nowMs).length,
    });
  }
  const drops = await db.query<{ seq: string; at: Date | string; target: string | null; details: Record<string, unknown> }>(
    `SELECT seq::text AS seq, at, target, details FROM "AuditEntry" WHERE action = 'evidence.partition_dropped' ORDER BY seq DESC LIMIT ${DROPS_SHOWN}`,
  );
  const holds = await listEvidenceHolds(exec);
  return {
    retention,
    holds,
    held: holds.some((h) => h.releasedAt === null),
    stores,
    totalBytes: stores.reduce((a, s) => a + s.bytes, 0),
    drops: drops.map((d) => ({
      seq: d.seq,
      at: new Date(d.at).toISOString(),
      partition: (d.target ?? '').replace(/^evidence:/, ''),
      table: String(d.details.table ?? ''),
      from: String(d.details.from ?? ''),
      to: String(d.details.to ?? ''),
      bytes: Number(d.details.bytes ?? 0),
      rows: Number(d.details.rows ?? 0),
    })),
  };
}
