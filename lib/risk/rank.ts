// Queue order: severity first, then blast radius (bigger first), then recency (newest first),
// then dedupeKey so the order is total and stable across runs. The SQL equivalent for the
// findings list is `ORDER BY severity_rank, blast_radius DESC, last_seen_at DESC, dedupe_key`.
import { SEVERITY_ORDER, type Severity } from '../domain/types.ts';

export interface RankableFinding {
  severity: Severity;
  blastRadius: number;
  observedAt: Date;
  dedupeKey: string;
}

/** Comparator for Array.prototype.sort: most urgent first. */
export function compareFindings(a: RankableFinding, b: RankableFinding): number {
  return (
    SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
    b.blastRadius - a.blastRadius ||
    b.observedAt.getTime() - a.observedAt.getTime() ||
    (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0)
  );
}
