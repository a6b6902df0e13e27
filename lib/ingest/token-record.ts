// Binding of a token from its confirmation claim (RFC 8705 x5t#S256, RFC 9449 jkt), as an
// inventory row or an introspection response states it: the rule of lib/credentials/cnf-binding.ts.
import { decideBinding } from '../credentials/cnf-binding.ts';
import type { Binding } from '../domain/types.ts';

export interface BindingFacts {
  binding: Binding;
  /** Two proof-of-possession mechanisms on one token, or a stated binding its cnf contradicts. */
  bindingAnomaly: boolean;
}

/**
 * Binding from cnf members and an optional stated binding. Both jkt and x5t#S256 on one token is an
 * anomaly, not a choice: the token counts as bearer (no single binding can be relied on) with the
 * anomaly flag set. A stated binding is used only when the row gives no cnf member, and a cnf that
 * contradicts it is an anomaly too.
 */
export function bindingOf(jkt: string | null, x5t: string | null, stated: Binding | null): BindingFacts {
  const { binding, anomaly } = decideBinding({ jkt, x5t, malformed: false });
  const fromCnf = jkt !== null || x5t !== null;
  return {
    binding: fromCnf ? binding : (stated ?? binding),
    bindingAnomaly: anomaly !== null || (stated !== null && fromCnf && stated !== binding),
  };
}
