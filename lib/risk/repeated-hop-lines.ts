// A request that crosses several gateways (edge → backend) is logged once per hop. Counting its
// lines counts the request once per hop ("let it through 13 times" for 7 requests seen at two
// hops): a line is a repeat of a request already counted when an earlier line of the same token
// and verdict came from another source with the same propagated request id (X-Request-ID, or the
// edge's own id: lib/hops propagatedId) within the window lib/hops groups hops in.
export const HOP_REPEAT_WINDOW_MS = 30_000;

export interface HopLine {
  /** The id the hops share (correlation id, else the line's own request id); null: no way to join it. */
  hopId: string | null;
  /** The log it came from: two lines of one source are two requests (a retry, a fixed X-Request-ID). */
  source: string | null;
  at: number;
}

/** How many of these lines (one token, one verdict) repeat a request an earlier line already counts. */
export function countRepeatedHopLines(lines: readonly HopLine[], windowMs = HOP_REPEAT_WINDOW_MS): number {
  const byId = new Map<string, HopLine[]>();
  for (const l of lines) {
    if (!l.hopId) continue;
    const list = byId.get(l.hopId);
    if (list) list.push(l);
    else byId.set(l.hopId, [l]);
  }
  let repeats = 0;
  for (const list of byId.values()) {
    if (list.length < 2) continue;
    const sorted = [...list].sort((a, b) => a.at - b.at);
    sorted.forEach((l, i) => {
      if (sorted.slice(0, i).some((e) => e.source !== l.source && l.at - e.at <= windowMs)) repeats++;
    });
  }
  return repeats;
}
