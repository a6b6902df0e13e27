// Event counts over a time window from the hourly "EventRollup" (kept by triggers on
// "BindingEvent", same transaction as the write) instead of scanning the events. Exact: the
// whole hours inside the window come from the rollup, the partial hours at its two ends
// (at most an hour each) are counted from "BindingEvent" through its (occurredAt) /
// (verdict, occurredAt) indexes.

const HOUR_MS = 3_600_000;

/** Parameters for `windowRowsSql`: window (from, to], whole rollup hours [lo, hi). */
export function windowParams(fromMs: number, toMs: number): string[] {
  const lo = Math.floor(fromMs / HOUR_MS) * HOUR_MS + HOUR_MS;
  const hi = Math.floor(toMs / HOUR_MS) * HOUR_MS;
  return [fromMs, toMs, lo, hi].map((t) => new Date(t).toISOString());
}

/**
 * Rows (at, verdict, n) whose n sum to the number of events with `verdictCond` (over a bare
 * "verdict" column) and "occurredAt" in (from, to]. `p` is the first of the four placeholders
 * holding `windowParams(from, to)` (from, to, lo, hi), e.g. 1 for $1..$4.
 */
export function windowRowsSql(verdictCond: string, p: number): string {
  const [a, z, lo, hi] = [0, 1, 2, 3].map((i) => `$${p + i}::timestamptz`);
  return `SELECT "hour" AS at, "verdict", "count" AS n FROM "EventRollup"
           WHERE ${verdictCond} AND "hour" >= ${lo} AND "hour" < ${hi} AND "hour" < ${z}
          UNION ALL
          SELECT "occurredAt", "verdict", 1 FROM "BindingEvent"
           WHERE ${verdictCond} AND "occurredAt" > ${a} AND "occurredAt" < ${lo} AND "occurredAt" <= ${z}
          UNION ALL
          SELECT "occurredAt", "verdict", 1 FROM "BindingEvent"
           WHERE ${verdictCond} AND "occurredAt" >= GREATEST(${hi}, ${lo}) AND "occurredAt" <= ${z}`;
}
