// Groups hop lines into requests by the id the edge propagates (X-Request-ID by default).
import type { NormalizedEvent } from '../domain/types.ts';
import type { HopObservation } from './types.ts';

export const DEFAULT_CORRELATION_WINDOW_MS = 30_000;

/**
 * The id a line's request is known by between hops: the correlation id it logs, else its own
 * request id. An edge that generates the id it sends on (HAProxy `unique-id-header X-Request-ID`
 * with `%ID` in its log, NGINX `proxy_set_header X-Request-ID $request_id` with `$request_id`) logs
 * it only as its request id, and the next hop logs it as the X-Request-ID it received.
 */
export function propagatedId(event: Pick<NormalizedEvent, 'correlationId' | 'requestId'>): string | null {
  return event.correlationId || event.requestId || null;
}

/**
 * The id each observation is joined by: its correlationId; for a line that logs none, its own
 * request id when another line carries that id as its correlationId (propagatedId) — but only when
 * no other line without a correlationId claims the same request id: two lines claiming one id as
 * their own cannot be told apart, so neither is joined by it.
 */
function joinIds(observations: readonly HopObservation[]): Array<string | null> {
  const carried = new Set<string>();
  const claims = new Map<string, number>();
  for (const o of observations) {
    const { correlationId, requestId } = o.event;
    if (correlationId) carried.add(correlationId);
    else if (requestId) claims.set(requestId, (claims.get(requestId) ?? 0) + 1);
  }
  return observations.map((o) => {
    const { correlationId, requestId } = o.event;
    if (correlationId) return correlationId;
    return requestId && carried.has(requestId) && claims.get(requestId) === 1 ? requestId : null;
  });
}

/**
 * One group per request. Lines join when they carry the same id (joinIds: the correlationId, or
 * an edge's own request id that another hop received), lie within `windowMs` of the group's first
 * line, and come from a source not yet in the group: a client that sends a fixed X-Request-ID on
 * every call, or a retry, starts a new group instead of mixing two requests into one path. Lines
 * with no id to join by are not grouped.
 */
export function correlateHops(observations: readonly HopObservation[], opts: { windowMs?: number } = {}): HopObservation[][] {
  const windowMs = opts.windowMs ?? DEFAULT_CORRELATION_WINDOW_MS;
  const ids = joinIds(observations);
  const byId = new Map<string, HopObservation[]>();
  observations.forEach((o, i) => {
    const id = ids[i];
    if (!id) return;
    const list = byId.get(id);
    if (list) list.push(o);
    else byId.set(id, [o]);
  });
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
