// Verdicts from most to least severe: which one a request's whole path reports when its hops'
// verdicts disagree (lib/hops decideChain). A path is no better than its worst hop: an edge that
// accepted a certificate it could not verify makes an `ok` at the backend untrue for the request.
import type { Verdict } from './types.ts';

/**
 * Most severe first. Accepted attacks and unenforced bindings lead (the door is open); then the
 * certificate was revoked yet used, a credential of another client (a theft attempt), a failed
 * proof; then certificates that do not verify; then context lost and proofs missing (usually
 * configuration); an expired token; a bearer token; ok.
 */
export const VERDICTS_BY_SEVERITY: readonly Verdict[] = [
  'spoofed_client_cert',
  'bound_not_enforced',
  'cert_revoked_unchecked',
  'cert_revoked',
  'binding_mismatch',
  'proof_invalid',
  'cert_untrusted',
  'cert_expired',
  'binding_context_stripped',
  'no_proof_for_bound_token',
  'token_expired',
  'bearer_unbound',
  'ok',
];

const RANK = new Map(VERDICTS_BY_SEVERITY.map((v, i) => [v, i]));

/** The more severe of two verdicts (the first on a tie); null only when both are. */
export function worseVerdict(a: Verdict | null, b: Verdict | null): Verdict | null {
  if (a === null) return b;
  if (b === null) return a;
  return RANK.get(b)! < RANK.get(a)! ? b : a;
}

/** Verdicts about the client certificate itself, whatever the token (lib/binding decideVerdict step 1, and the CRL review). */
export const CERTIFICATE_VERDICTS: readonly Verdict[] = ['cert_revoked_unchecked', 'cert_revoked', 'cert_untrusted', 'cert_expired'];
