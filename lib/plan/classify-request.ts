// One group of requests (same verdict, reason, acceptance, token binding, key material) against the
// plan's policy, in the simulation's categories (CONTRACT.md "Simulation") and, for the legitimate
// requests that would break, why. This is what a saved plan re-runs over new evidence.
import type { BrokenBy, PlanPolicy } from './types.ts';

/** `unknown`: accepted with no known token (the log shows none): whether the policy would refuse it cannot be judged. */
export type RequestCategory = 'compliant' | 'attack' | 'broken' | 'alreadyRefused' | 'alreadyInvalid' | 'unknown';

export interface RequestFacts {
  verdict: string;
  reason: string | null;
  /** 2xx from the gateway; null when it logged no status. */
  accepted: boolean | null;
  binding: 'bearer' | 'mtls' | 'dpop' | null;
  hasCert: boolean;
  hasJkt: boolean;
  ttlSeconds: number | null;
}

/** Verdicts Holdfast gives only to requests the gateway refused (accepted ones are bound_not_enforced). */
const REFUSED_VERDICTS = new Set(['binding_mismatch', 'proof_invalid', 'no_proof_for_bound_token']);
/** Requests that were wrong anyway: expired tokens, failed certificates. */
const INVALID_VERDICTS = new Set(['cert_untrusted', 'cert_revoked', 'cert_expired', 'token_expired', 'cert_revoked_unchecked']);
/** bound_not_enforced reasons that are the client's own missing proof, not someone else's key. */
const MISSING_PROOF = new Set(['no_proof', 'no_certificate']);

/**
 * Category and, for `broken`, the BrokenBy key. A bound token of the other mechanism than the
 * policy names counts as a client holding that other key (`bearerWithDpopKey` under mtls): the
 * authorization server alone cannot fix it, the client needs the required key material.
 */
export function classifyRequest(f: RequestFacts, policy: Pick<PlanPolicy, 'require' | 'maxTtlSeconds'>): { category: RequestCategory; brokenBy: keyof BrokenBy | null } {
  const is = (category: RequestCategory, brokenBy: keyof BrokenBy | null = null) => ({ category, brokenBy });
  if (f.accepted === false || REFUSED_VERDICTS.has(f.verdict)) return is('alreadyRefused');
  if (INVALID_VERDICTS.has(f.verdict)) return is('alreadyInvalid');
  if (f.verdict === 'spoofed_client_cert') return is('attack');
  if (f.verdict === 'bound_not_enforced') return MISSING_PROOF.has(f.reason ?? '') ? is('broken', 'boundWithoutProof') : is('attack');
  if (f.verdict === 'binding_context_stripped') return is('broken', 'contextStripped');
  if (f.verdict === 'bearer_unbound' || f.binding === 'bearer') {
    if (f.hasCert && policy.require !== 'dpop') return is('broken', 'bearerWithCertificate');
    if (f.hasJkt && policy.require !== 'mtls') return is('broken', 'bearerWithDpopKey');
    return is('broken', f.hasCert ? 'bearerWithCertificate' : f.hasJkt ? 'bearerWithDpopKey' : 'bearerNoKey');
  }
  if (policy.require === 'mtls' && f.binding === 'dpop') return is('broken', 'bearerWithDpopKey');
  if (policy.require === 'dpop' && f.binding === 'mtls') return is('broken', 'bearerWithCertificate');
  // No token known (Caddy's redacted Authorization, a format without one): not compliant, unknown.
  if (f.binding === null) return is('unknown');
  if (policy.maxTtlSeconds && f.ttlSeconds !== null && f.ttlSeconds > policy.maxTtlSeconds) return is('broken', 'ttlOverLimit');
  return is('compliant');
}
