// Request counts over a time window from the hourly "EventRollup" (kept by the evidence writer,
// same transaction as the requests it counts) instead of scanning requests. Exact for non-ok
// verdicts: the whole hours inside the window come from the rollup, the partial hours at its two
// ends (at most an hour each) are counted from the notable requests (evidence."Notable", where
// every non-ok request is kept individually) through their (verdict, occurredAt) index.

import type { Database } from '../db/open.ts';
import { verdictCode } from '../domain/verdict-codes.ts';

const HOUR_MS = 3_600_000;

/** Parameters for `windowRowsSql`: window (from, to], whole rollup hours [lo, hi). */
export function windowParams(fromMs: number, toMs: number): string[] {
  const lo = Math.floor(fromMs / HOUR_MS) * HOUR_MS + HOUR_MS;
  const hi = Math.floor(toMs / HOUR_MS) * HOUR_MS;
  return [fromMs, toMs, lo, hi].map((t) => new Date(t).toISOString());
}

/**
 * Rows (at, verdict, n) whose n sum to the number of requests with one of `verdicts` (none of them
 * `ok`: ok requests are not kept individually) and "occurredAt" in (from, to]. Rollup rows are per
 * stripe, and a stripe may be negative: group totals are exact, but a group may sum to 0 — callers
 * grouping by day drop those (HAVING sum(n) <> 0). `p` is the first of the four placeholders holding
 * `windowParams(from, to)` (from, to, lo, hi), e.g. 1 for $1..$4.
 */
export function windowRowsSql(verdicts: readonly string[], p: number): string {
  if (verdicts.includes('ok')) throw new Error('windowRowsSql counts non-ok verdicts only');
  const names = verdicts.map((v) => `'${v}'`).join(', ');
  const codes = verdicts.map((v) => verdictCode(v)).join(', ');
  const [a, z, lo, hi] = [0, 1, 2, 3].map((i) => `$${p + i}::timestamptz`);
  const notable = (cond: string) =>
    `SELECT "occurredAt", (CASE "verdict" ${verdicts.map((v) => `WHEN ${verdictCode(v)} THEN '${v}'`).join(' ')} END), 1
       FROM "evidence"."Notable" WHERE "verdict" IN (${codes}) AND ${cond}`;
  return `SELECT "hour" AS at, "verdict", "count" AS n FROM "EventRollup"
           WHERE "verdict" IN (${names}) AND "hour" >= ${lo} AND "hour" < ${hi} AND "hour" < ${z}
          UNION ALL
          ${notable(`"occurredAt" > ${a} AND "occurredAt" < ${lo} AND "occurredAt" <= ${z}`)}
          UNION ALL
          ${notable(`"occurredAt" >= GREATEST(${hi}, ${lo}) AND "occurredAt" <= ${z}`)}`;
}

/**
 * Folds the stripes of every hour older than `before` into stripe 0 and drops rows that sum to
 * zero. Writers add to their own stripe (backend pid % 8) so concurrent ingest batches don't
 * queue on one counter row; once an hour is past, nobody needs its stripes apart, and folding
 * keeps the rollups (and the summary's sum over them) as small as unstriped ones. Each table in
 * one statement: readers see the hour's total before or after, never half of it.
 */
export async function compactEventRollups(db: Database, before: Date): Promise<void> {
  for (const [table, key] of [['EventRollup', 'verdict'], ['EventBindingRollup', 'binding']] as const) {
    await db.query(
      `WITH moved AS (DELETE FROM "${table}" WHERE "stripe" <> 0 AND "hour" < $1::timestamptz RETURNING "hour", "${key}", "count")
       INSERT INTO "${table}" ("hour", "${key}", "stripe", "count")
       SELECT "hour", "${key}", 0, sum("count") FROM moved GROUP BY 1, 2 ORDER BY 1, 2
       ON CONFLICT ("hour", "${key}", "stripe") DO UPDATE SET "count" = "${table}"."count" + excluded."count"`,
      [before.toISOString()],
    );
    await db.query(`DELETE FROM "${table}" WHERE "stripe" = 0 AND "count" = 0 AND "hour" < $1::timestamptz`, [before.toISOString()]);
  }
}
