// Shapes of an ingest batch shared by the orchestrator (pipeline.ts) and the batch writer.
import type { SkipReason } from '../../ingest/types.ts';

export const MAX_BATCH_ERRORS = 100;

export interface IngestError {
  line: number;
  reason: string;
  message?: string;
}

/**
 * A batch's counts. For line-per-record input every line read is counted once:
 * linesRead = accepted + rejected + duplicates + skipped (a line holding several records, such as
 * a one-line scanner report, counts each record instead).
 */
export interface IngestProgress {
  linesRead: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  /** Lines read that hold no record (blank lines, headers, the gateway's own service lines). */
  skipped: number;
  /** `skipped` per reason (lib/ingest/types.ts SkipReason). */
  skippedReasons: Partial<Record<SkipReason, number>>;
}

export function newBatchStats(): IngestProgress {
  return { linesRead: 0, accepted: 0, rejected: 0, duplicates: 0, skipped: 0, skippedReasons: {} };
}

/** Counts a skipped line under its reason (`no_record` when the parser gave none). */
export function noteSkip(stats: IngestProgress, result: { reason?: SkipReason }): void {
  const reason = result.reason ?? 'no_record';
  stats.skipped++;
  stats.skippedReasons[reason] = (stats.skippedReasons[reason] ?? 0) + 1;
}
