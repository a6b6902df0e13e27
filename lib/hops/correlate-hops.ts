// Groups hop lines into requests by the id the edge propagates (X-Request-ID by default).
import type { HopObservation } from './types.ts';

export const DEFAULT_CORRELATION_WINDOW_MS = 30_000;

/**
 * One group per request. Lines join when they carry the same correlationId, lie within
 * `windowMs` of the group's first line, and come from a source not yet in the group: a client
 * that sends a fixed X-Request-ID on every call, or a retry, starts a new group instead of
 * mixing two requests into one path. Lines without a correlationId are not grouped.
 */
export function correlateHops(observations: readonly HopObservation[], opts: { windowMs?: number } = {}): HopObservation[][] {
  const windowMs = opts.windowMs ?? DEFAULT_CORRELATION_WINDOW_MS;
  const byId = new Map<string, HopObservation[]>();
  for (const o of observations) {
    const id = o.event.correlationId;
    if (!id) continue;
    const list = byId.get(id);
    if (list) list.push(o);
    else byId.set(id, [o]);
  }
  const groups: HopObservation[][] = [];
  for (const list of byId.values()) {
    const sorted = [...list].sort((a, b) => a.event.occurredAt.getTime() - b.event.occurredAt.getTime());
    let cur: HopObservation[] = [];
    let start = 0;
    let sources = new Set<string>();
    for (const o of sorted) {
      const t = o.event.occurredAt.getTime();
      if (cur.length > 0 && (t - start > windowMs || sources.has(o.source))) {
        groups.push(cur);
        cur = [];
        sources = new Set();
      }
      if (cur.length === 0) start = t;
      cur.push(o);
      sources.add(o.source);
    }
    if (cur.length > 0) groups.push(cur);
  }
  return groups;
}
