// Keeping the evidence store in shape: the partitions writers need next exist, partitions whose
// retention ended are dropped, a legacy event table left by an upgrade is folded in; tokens past
// their expiry are marked expired (lib/services/estate/expire-tokens.ts) and DPoP proofs a day past
// their window forgotten (lib/services/ingest/proofs-seen.ts). Run at server
// and CLI start, and at most hourly by the after-ingest job and the server's clock (startEvidenceMaintenance). The retention in force is the
// configuration's (HOLDFAST_REQUEST_WINDOW_DAYS, HOLDFAST_USAGE_RETENTION_DAYS,
// HOLDFAST_NOTABLE_RETENTION_DAYS), registered once by the edge that loaded it.
import type { Database } from '../../db/open.ts';
import { expirePastTokens } from '../estate/expire-tokens.ts';
import { pruneProofsSeen } from '../ingest/proofs-seen.ts';
import { foldLegacyEvents } from './legacy-fold.ts';
import { currentPartitions, DEFAULT_RETENTION, dropExpiredPartitions, partitionSet, type RetentionConfig } from './partitions.ts';

// Kept on globalThis, as the database handle is (lib/server/database.ts): the server registers it
// before Next.js loads, and the route handlers Next bundles have module instances of their own. A
// module variable here left them on the defaults whatever the configuration said: an ingest
// through the API judged retention by 400 days and the maintenance it triggered dropped ledger
// days the configuration kept.
const SLOT = Symbol.for('holdfast.evidenceRetention');
const slot = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {}) as { retention?: RetentionConfig };

/** Registers the retention loaded from the configuration (server start, CLI, a request opening the database). */
export function setEvidenceRetention(r: RetentionConfig): void {
  slot.retention = r;
}

/** The retention in force. */
export function evidenceRetention(): RetentionConfig {
  return slot.retention ?? DEFAULT_RETENTION;
}

export interface MaintenanceResult {
  folded: number;
  dropped: string[];
  /** Partitions past retention kept because an evidence hold is in force (holds.ts). */
  held: string[];
  /** Tokens marked expired. */
  expired: number;
}

export async function maintainEvidence(db: Database, opts: { now?: Date; retention?: RetentionConfig; log?: (line: string) => void } = {}): Promise<MaintenanceResult> {
  const now = opts.now ?? new Date();
  const retention = opts.retention ?? evidenceRetention();
  const folded = await foldLegacyEvents(db, { now, retention, log: opts.log });
  await partitionSet(db).ensure(db, currentPartitions(now.getTime()));
  const { dropped, held } = await dropExpiredPartitions(db, now.getTime(), retention);
  if (dropped.length) opts.log?.(`holdfast: dropped ${dropped.length} evidence partition(s) past retention: ${dropped.join(', ')}`);
  if (held.length) opts.log?.(`holdfast: kept ${held.length} evidence partition(s) past retention: an evidence hold is in force (${held.join(', ')})`);
  const expired = await expirePastTokens(db, now);
  await pruneProofsSeen(db, now);
  return { folded, dropped, held, expired };
}

const lastRun = new WeakMap<Database, number>();

/** maintainEvidence at most once an hour per database handle (the after-ingest job calls this). */
export async function maintainEvidenceHourly(db: Database, log?: (line: string) => void): Promise<void> {
  const t = Date.now();
  if ((lastRun.get(db) ?? 0) > t - 3_600_000) return;
  lastRun.set(db, t);
  await maintainEvidence(db, { log });
}

/** How often the server looks whether the hourly maintenance is due (maintainEvidenceHourly). */
export const MAINTENANCE_CHECK_MS = 5 * 60_000;

/**
 * The server's maintenance clock: every few minutes, maintainEvidenceHourly — so partitions past
 * their retention go within about an hour of it ending whether or not anything is ingested (the
 * after-ingest job runs the same, at most hourly too). A failed run is logged and tried again at
 * the next check.
 */
export function startEvidenceMaintenance(db: Database, opts: { log: (line: string) => void; everyMs?: number }): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= maintainEvidenceHourly(db, opts.log)
      .catch((e: unknown) => opts.log(`holdfast: evidence maintenance failed: ${String((e as Error)?.message ?? e).split('\n')[0]}`))
      .finally(() => {
        running = null;
      });
  }, opts.everyMs ?? MAINTENANCE_CHECK_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

