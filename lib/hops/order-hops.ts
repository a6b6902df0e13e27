// Places one request's hop lines on the path, client side first.
//
// Order, in this precedence:
//  1. The role declared for each source (edge, then proxy, then backend).
//  2. Without a declaration, the role the line itself shows: a line with a forwarded certificate
//     header was written behind a proxy (backend); a line with the client's own TLS facts
//     (verify result or certificate, even `NONE`) was written where the client's TLS ended (edge);
//     a line with neither is a backend reached over plain HTTP.
//  3. Within one role, time: a line more than `toleranceMs` earlier comes first; closer than that
//     the lines keep their input order. Gateways stamp lines at different moments (NGINX and
//     Caddy when the response is done, HAProxy and Apache when the request arrived), so an outer
//     hop may log after an inner one by the inner one's latency: the tolerance absorbs that, and
//     chains of three or more hops should declare their sources' roles.
import type { NormalizedEvent } from '../domain/types.ts';
import { HOP_ROLES, type HopObservation, type HopRole, type PlacedHop } from './types.ts';

export const DEFAULT_ORDER_TOLERANCE_MS = 2000;

/** The role a line shows by itself (rule 2 above). */
export function inferRole(event: NormalizedEvent): HopRole {
  if (event.forwardedCert) return 'backend';
  if (event.cert) return 'edge';
  return 'backend';
}

/** Rules 1–3 above; returns new objects, the input is not changed. */
export function orderHops(hops: readonly HopObservation[], opts: { toleranceMs?: number } = {}): PlacedHop[] {
  const tolerance = opts.toleranceMs ?? DEFAULT_ORDER_TOLERANCE_MS;
  const placed = hops.map((h, i) => {
    const declared = h.role ?? null;
    const role = declared ?? inferRole(h.event);
    return { hop: { ...h, role, roleFrom: declared ? 'declared' : 'inferred' } as PlacedHop, rank: HOP_ROLES.indexOf(role), i };
  });
  placed.sort((a, b) => {
    if (a.rank !== b.rank) return a.rank - b.rank;
    const dt = a.hop.event.occurredAt.getTime() - b.hop.event.occurredAt.getTime();
    if (Math.abs(dt) > tolerance) return dt;
    return a.i - b.i;
  });
  return placed.map((p) => p.hop);
}
