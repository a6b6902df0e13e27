// Binding of a token from its confirmation claim (RFC 8705 x5t#S256, RFC 9449 jkt).
import type { Binding } from '../domain/types.ts';

export interface BindingFacts {
  binding: Binding;
  /** Two proof-of-possession mechanisms on one token, or a stated binding its cnf contradicts. */
  bindingAnomaly: boolean;
}

/**
 * Binding from cnf members and an optional stated binding. Both jkt and x5t#S256 on one
 * token is an anomaly, not a choice (as oidc-provider's is_sender_constrained treats it);
 * the token is then recorded as DPoP-bound with the anomaly flag set.
 */
export function bindingOf(jkt: string | null, x5t: string | null, stated: Binding | null): BindingFacts {
  const derived: Binding = jkt ? 'dpop' : x5t ? 'mtls' : 'bearer';
  const anomaly = (jkt !== null && x5t !== null) || (stated !== null && stated !== derived);
  return { binding: stated === null || jkt || x5t ? derived : stated, bindingAnomaly: anomaly };
}
