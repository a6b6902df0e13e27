// Which daily ledger partition a request goes to. A live stream's requests arrive within moments
// of happening: they go to the day they occurred on, so a re-send of them (at-least-once
// shippers, overlapping files) lands in the same partition and its unique key catches it. Lines
// that arrive more than a day late or early (an old file uploaded, a skewed clock) go to the day
// they were received: every partition then exists before it is written to (today's always does),
// there are never more partitions than days in the window, and a request is kept at least the
// window after it was received.

export const DAY_MS = 86_400_000;

/** Days since 1970-01-01 UTC. */
export function dayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The ledger day of a request that occurred at `occurredMs` and was received at `receivedMs`. */
export function ledgerDay(occurredMs: number, receivedMs: number): number {
  const o = dayNumber(occurredMs);
  const r = dayNumber(receivedMs);
  return Math.abs(o - r) <= 1 ? o : r;
}

/** Whether a request was placed by the day it was received (late or early), not by its own. */
export function placedByReceipt(occurredMs: number, receivedMs: number): boolean {
  return Math.abs(dayNumber(occurredMs) - dayNumber(receivedMs)) > 1;
}

/** `YYYYMMDD` of a day number, for partition names. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '');
}
