// The verdict for one request's whole path (client → edge → … → backend): was the certificate
// the client presented at the edge carried, intact, to where the binding is checked?
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { CERTIFICATE_VERDICTS, worseVerdict } from '../domain/verdict-severity.ts';
import { orderHops } from './order-hops.ts';
import { namesCertificate, sameCertificate } from './same-certificate.ts';
import type { CertComparison, ChainDecision, ChainReason, HopObservation, HopRef, PlacedHop } from './types.ts';

function ref(hops: PlacedHop[], i: number): HopRef {
  const h = hops[i]!;
  return { index: i, source: h.source, role: h.role };
}

function decided(
  hops: PlacedHop[], chainVerdict: Verdict | null, reason: ChainReason, leakingHop: HopRef | null, observedAt: HopRef | null, comparedBy: CertComparison | null,
): ChainDecision {
  return { chainVerdict, reason, leakingHop, observedAt, comparedBy, hops };
}

type EdgeView =
  /** The client presented no certificate (the edge logged verify `NONE` and no certificate fact). */
  | { kind: 'none' }
  /** The edge saw a certificate and logged facts naming it. */
  | { kind: 'named'; cert: NonNullable<NormalizedEvent['cert']> }
  /** The edge saw a certificate (a verify result) but logged nothing naming it. */
  | { kind: 'seen' }
  /** The edge logged no TLS facts at all. */
  | { kind: 'unknown' };

/** What the edge's line says about the client's certificate: a missing fact is not a missing certificate. */
function edgeView(edge: PlacedHop): EdgeView {
  const c = edge.event.cert;
  if (c && namesCertificate(c)) return { kind: 'named', cert: c };
  if (!c || c.verify === null) return { kind: 'unknown' };
  return /^NONE$/i.test(c.verify) ? { kind: 'none' } : { kind: 'seen' };
}

/** The backend's own verdict stands for the path; a hop without one defers to the one before it. */
function innermostVerdict(hops: PlacedHop[]): Verdict | null {
  for (let i = hops.length - 1; i >= 0; i--) {
    const v = hops[i]!.verdict?.verdict;
    if (v) return v;
  }
  return null;
}

/**
 * The most severe verdict of the hops in [0, end): a path is no better than any hop on it. An
 * edge that accepted two DPoP proofs (Caddy logs both; an NGINX backend's `$http_dpop` shows only
 * the first) makes the backend's `ok` untrue for the request.
 */
function worstHopVerdict(hops: PlacedHop[], end = hops.length): Verdict | null {
  let worst: Verdict | null = null;
  for (let i = 0; i < end; i++) worst = worseVerdict(worst, hops[i]!.verdict?.verdict ?? null);
  return worst;
}

/** The most severe certificate verdict any hop gave (an edge that accepted a certificate it could not verify, or one a CRL lists), or null. */
function worstCertificateVerdict(hops: PlacedHop[]): Verdict | null {
  let worst: Verdict | null = null;
  for (const h of hops) {
    const v = h.verdict?.verdict ?? null;
    if (v && CERTIFICATE_VERDICTS.includes(v)) worst = worseVerdict(worst, v);
  }
  return worst;
}

/**
 * The path's verdict when a hop did not forward the certificate the edge saw. The loss is the
 * verdict unless the edge's own comparison proves more: the edge saw a certificate other than the
 * one the token is bound to (RFC 8705 §3) — a theft attempt (`binding_mismatch`), or one that got
 * through (`bound_not_enforced`) — whatever was lost behind it. A bearer token binds to nothing:
 * when the edge and the backend both say `bearer_unbound`, losing the certificate lost nothing.
 */
function strippedVerdict(edgeVerdict: Verdict | null, backendVerdict: Verdict | null): Verdict {
  if (edgeVerdict === 'binding_mismatch' || edgeVerdict === 'bound_not_enforced') return edgeVerdict;
  if (edgeVerdict === 'bearer_unbound' && (backendVerdict === null || backendVerdict === 'bearer_unbound')) return 'bearer_unbound';
  return 'binding_context_stripped';
}

/**
 * Decides the chain verdict of one request from its hops' lines (any order; see orderHops).
 *
 * - A later hop received a certificate that is not the one the client presented at the edge, or
 *   received one although the client presented none → `spoofed_client_cert`: a hop passed a
 *   client-supplied certificate header through (Envoy #6038, Keycloak #35861). Checked first: it
 *   is the critical case, and it outranks a loss elsewhere on the path.
 * - The edge saw a client certificate and a later hop that logs its forwarded-certificate header
 *   received none → `binding_context_stripped`, unless the edge's own comparison proves more
 *   (strippedVerdict: a mismatch there is a theft attempt; a bearer token lost nothing). The hop
 *   that lost it is named either way.
 * - Otherwise the backend's own binding verdict (hopVerdict) is the path's.
 * - A path is no better than any hop's certificate verdict on it (worstCertificateVerdict): an
 *   edge that accepted an untrusted or revoked certificate and forwarded it makes the backend's
 *   `ok` untrue for the request.
 * - Nor better than any hop's own verdict (worstHopVerdict): an edge that accepted two DPoP proofs
 *   (`bound_not_enforced`/`multiple_proofs`) is the path's verdict although the backend saw one. When
 *   the certificate was lost on the way, the hops from the one that shows the loss on judged a
 *   request without its certificate: their certificate verdicts are the loss (already the path's
 *   verdict), so only the hops before it count.
 *
 * The leaking hop is the one that sent the wrong context on: the hop before the one whose log shows
 * it. A hop whose log format has no forwarded-certificate field (forwardedCert undefined) is not
 * judged: an absent field is not an empty header.
 */
export function decideChain(observations: readonly HopObservation[], opts: { toleranceMs?: number } = {}): ChainDecision {
  const hops = orderHops(observations, opts);
  if (hops.length < 2) return decided(hops, null, 'single_hop', null, null, null);
  if (new Set(hops.map((h) => h.source)).size !== hops.length) return decided(hops, null, 'ambiguous_hops', null, null, null);

  const edge = edgeView(hops[0]!);
  const presented = edge.kind === 'named' ? edge.cert : null;
  let stripped: { leak: HopRef; at: HopRef } | null = null;
  let comparedBy: CertComparison | null = null;
  let judged = false;
  for (let i = 1; i < hops.length; i++) {
    const received = hops[i]!.event.forwardedCert;
    if (received === undefined) continue;
    judged = true;
    if (!received || !namesCertificate(received)) {
      if ((edge.kind === 'named' || edge.kind === 'seen') && !stripped) stripped = { leak: ref(hops, i - 1), at: ref(hops, i) };
      continue;
    }
    if (edge.kind === 'none') return decided(hops, 'spoofed_client_cert', 'certificate_injected', ref(hops, i - 1), ref(hops, i), null);
    if (!presented) continue;
    const match = sameCertificate(presented, received);
    if (match.same === false) return decided(hops, 'spoofed_client_cert', 'certificate_replaced', ref(hops, i - 1), ref(hops, i), match.by);
    if (match.same === true) comparedBy ??= match.by;
  }
  const certificate = worstCertificateVerdict(hops);
  if (stripped) {
    const v = strippedVerdict(hops[0]!.verdict?.verdict ?? null, innermostVerdict(hops));
    const before = worstHopVerdict(hops, stripped.at.index);
    return decided(hops, worseVerdict(worseVerdict(v, certificate), before), 'certificate_stripped', stripped.leak, stripped.at, null);
  }
  const reason: ChainReason = edge.kind === 'none' ? 'no_client_certificate' : judged && comparedBy ? 'forwarded_intact' : 'not_comparable';
  return decided(hops, worseVerdict(worseVerdict(innermostVerdict(hops), certificate), worstHopVerdict(hops)), reason, null, null, comparedBy);
}
