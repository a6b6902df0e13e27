// Chart buckets of a time window (hours or UTC days) and the instants one bucket covers. Pure and
// import-free: the server page's data tables and the client charts link the same drill-downs.

export type WindowBucket = 'hour' | 'day';

export const BUCKET_MS: Record<WindowBucket, number> = { hour: 3_600_000, day: 86_400_000 };

/**
 * The instants a bucket starting at `start` covers, cut to `within` (the window charted) when
 * given: the first and last buckets of a window are partial, and a drill-down should list the
 * events its bar counts.
 */
export function bucketRange(start: string, bucket: WindowBucket, within?: { from: string; to: string }): { from: string; to: string } {
  const s = Date.parse(start);
  const from = within ? Math.max(s, Date.parse(within.from)) : s;
  const to = within ? Math.min(s + BUCKET_MS[bucket], Date.parse(within.to)) : s + BUCKET_MS[bucket];
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
}
