import type { DpopFailureReason } from '../domain/types.ts';
import type { DpopRfcError } from './types.ts';

// RFC 9449 §7.1/§12.2: a missing or stale nonce is `use_dpop_nonce` (the client retries with
// the DPoP-Nonce header); a proof key that is not the token's key, or a DPoP-bound token sent as
// Bearer, is a problem with the token's use (`invalid_token`); everything else is the proof.
const RFC_ERROR: Record<DpopFailureReason, DpopRfcError> = {
  multiple_proofs: 'invalid_dpop_proof',
  malformed: 'invalid_dpop_proof',
  typ: 'invalid_dpop_proof',
  alg: 'invalid_dpop_proof',
  private_key_in_jwk: 'invalid_dpop_proof',
  signature: 'invalid_dpop_proof',
  htm: 'invalid_dpop_proof',
  htu: 'invalid_dpop_proof',
  nonce: 'use_dpop_nonce',
  iat: 'invalid_dpop_proof',
  jti_replay: 'invalid_dpop_proof',
  ath: 'invalid_dpop_proof',
  jkt_mismatch: 'invalid_token',
  bearer_scheme_for_dpop_token: 'invalid_token',
};

/** The RFC 9449 error code a compliant server answers with for a given failure reason. */
export function rfcErrorFor(reason: DpopFailureReason): DpopRfcError {
  return RFC_ERROR[reason];
}
