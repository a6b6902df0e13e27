// A hop's own binding verdict, with the certificate it was forwarded standing in for a TLS one.
import type { NormalizedEvent } from '../domain/types.ts';
import { decideVerdictNow, type DecideVerdictDeps, type TokenBindingFacts, type VerdictDecision } from '../binding/index.ts';

/**
 * The line as the backend's binding check must read it: behind a TLS-terminating proxy the
 * client's certificate arrives in a header (forwardedCert), and the backend's own TLS facts, if
 * any, are the proxy's. A forwarded certificate carries no verification outcome of this hop.
 */
export function backendView(event: NormalizedEvent): NormalizedEvent {
  const f = event.forwardedCert;
  if (!f) return event;
  const { header: _header, ...cert } = f;
  return { ...event, cert: { ...cert, verify: null } };
}

/** lib/binding's verdict for one hop's line, read through backendView. */
export function hopVerdict(
  event: NormalizedEvent, token: TokenBindingFacts | null, deps: DecideVerdictDeps = {},
): VerdictDecision | Promise<VerdictDecision> {
  return decideVerdictNow(backendView(event), token, deps);
}
