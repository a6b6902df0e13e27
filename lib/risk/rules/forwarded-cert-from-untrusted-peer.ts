// Why: a backend behind a TLS-terminating proxy learns the client's certificate from a header the
// proxy sets (RFC 9440 Client-Cert, X-SSL-Client-Cert, XFCC). Certificates are public, so anyone
// who can open a connection to the backend itself — around the proxy — can send that header with
// any client's certificate, and every certificate-bound token of that client works for them
// (Keycloak CVE-2024-10039 is this hole). A line whose header came from a TCP peer outside the
// source's trusted proxies reads spoofed_client_cert, reason forwarded_cert_untrusted_peer; the fix
// is at the backend (accept the header only from the proxy) and in the network (the backend
// reachable from the proxy only), so there is one finding per backend, critical once such a request
// was answered 2xx. A peer the trusted proxies exclude only now — narrowed after a client inside a
// broad network posed as a proxy — had its headers believed until then: those requests read as the
// header said and are not re-judged, so the finding names the peer and its lines (high) for review.
import { dedupeKey, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export const forwardedCertFromUntrustedPeer: Rule = (ctx) =>
  (ctx.snapshot.untrustedPeerBackends ?? []).flatMap((b) => {
    if (b.requests === 0 && b.believedEarlier.length === 0) return [];
    const networks = b.networks.map((n) => n.network);
    const believed = { peers: b.believedEarlier.map((p) => p.peer), lines: b.believedEarlier.reduce((n, p) => n + p.lines, 0) };
    return [
      makeDraft(
        'forwarded_cert_from_untrusted_peer',
        { source: b.source, networks, requests: b.requests, accepted: b.accepted, claimedIdentities: b.claimedIdentities, believedEarlier: believed },
        {
          dedupeKey: dedupeKey('forwarded_cert_from_untrusted_peer', 'source', b.source),
          // Accepted: the forged certificate was believed, the token of whoever owns it worked for someone else.
          severity: b.accepted > 0 ? 'critical' : 'high',
          identityId: null,
          tokenId: null,
          certificateId: null,
          evidence: {
            source: b.source,
            gateways: b.gateways,
            requests: b.requests,
            acceptedRequests: b.accepted,
            firstAt: b.firstAt.toISOString(),
            lastAt: b.lastAt.toISOString(),
            peerNetworks: b.networks.slice(0, 20).map((n) => ({ network: n.network, peers: n.peers, requests: n.requests, accepted: n.accepted })),
            claimedIdentities: b.claimedIdentities,
            claimedCertificates: b.claimedCertificates,
            believedEarlier: b.believedEarlier.map((p) => ({ peer: p.peer, lines: p.lines, firstAt: p.firstAt.toISOString(), lastAt: p.lastAt.toISOString() })),
            examples: b.examples.map((e) => ({
              occurredAt: e.occurredAt.toISOString(), peer: e.peer, method: e.method, url: e.url, httpStatus: e.httpStatus, requestId: e.requestId, x5tS256: e.x5tS256,
            })),
          },
          // Every identity whose certificate can be claimed there is exposed; at least the ones that were.
          blastRadius: Math.max(1, b.claimedIdentities.length),
          observedAt: b.lastAt,
        },
      ),
    ];
  });
