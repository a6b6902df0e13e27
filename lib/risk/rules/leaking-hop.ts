// Why: behind a TLS-terminating edge the backend learns the client's certificate only from a header
// the edge sets. An edge that does not set it loses the binding (nothing behind it can check it); one
// that passes a client's own copy on lets anyone claim any certificate (Envoy #6038, Keycloak
// CVE-2024-10039) — the stolen certificate-bound token then works like a bearer token. Joined hop
// logs show which hop did it; the fix is that hop's configuration, so there is one finding per
// leaking hop (its routes in the evidence), critical once a client-supplied certificate got through.
import type { HopLeak } from '../snapshot.ts';
import { dedupeKey, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

/** The leaks of each hop (source, position and the hop it sends to), most recent route first. */
function byHop(leaks: readonly HopLeak[]): Map<string, HopLeak[]> {
  const out = new Map<string, HopLeak[]>();
  for (const l of leaks) {
    const k = JSON.stringify([l.hop.source, l.hop.role, l.next]);
    const list = out.get(k);
    if (list) list.push(l);
    else out.set(k, [l]);
  }
  for (const list of out.values()) list.sort((a, b) => b.lastAt.getTime() - a.lastAt.getTime() || String(a.route).localeCompare(String(b.route)));
  return out;
}

const sum = (xs: readonly HopLeak[], f: (l: HopLeak) => number) => xs.reduce((n, l) => n + f(l), 0);

export const leakingHop: Rule = (ctx) =>
  [...byHop(ctx.snapshot.hopLeaks ?? []).values()].flatMap((leaks) => {
    const first = leaks[0]!;
    const stripped = sum(leaks, (l) => l.stripped);
    const clientSupplied = sum(leaks, (l) => l.clientSupplied);
    const clientSuppliedAccepted = sum(leaks, (l) => l.clientSuppliedAccepted);
    if (stripped + clientSupplied === 0) return [];
    const routes = leaks.map((l) => l.route ?? '*');
    const lastAt = new Date(Math.max(...leaks.map((l) => l.lastAt.getTime())));
    return [
      makeDraft(
        'leaking_hop',
        { hop: first.hop.source, role: first.hop.role, next: first.next, routes, stripped, clientSupplied, clientSuppliedAccepted },
        {
          dedupeKey: dedupeKey('leaking_hop', 'hop', first.hop.source, first.hop.role, first.next),
          // A client-supplied certificate that reached the backend is an open door; one that did not is the same hole, found first.
          severity: clientSupplied > 0 ? 'critical' : 'high',
          identityId: null,
          tokenId: null,
          certificateId: null,
          evidence: {
            hop: { source: first.hop.source, role: first.hop.role },
            next: first.next,
            strippedRequests: stripped,
            clientSuppliedRequests: clientSupplied,
            clientSuppliedAccepted,
            routes: leaks.slice(0, 20).map((l) => ({
              route: l.route, stripped: l.stripped, clientSupplied: l.clientSupplied, clientSuppliedAccepted: l.clientSuppliedAccepted,
              example: l.example, firstAt: l.firstAt.toISOString(), lastAt: l.lastAt.toISOString(),
            })),
          },
          blastRadius: routes.length,
          observedAt: lastAt,
        },
      ),
    ];
  });
