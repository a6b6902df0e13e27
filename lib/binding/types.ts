// Types of the binding engine that callers (CLI, API, ingest) see. Shared domain vocabulary
// (Binding, Verdict, DpopFailureReason) lives in lib/domain/types.ts.
import type { DpopFailureReason } from '../domain/types.ts';

/** RFC 9449 §7.1 / §12.2 error codes a server would answer with. */
export type DpopRfcError = 'invalid_dpop_proof' | 'use_dpop_nonce' | 'invalid_token';

/** Reasons a certificate-bound (RFC 8705) request fails. */
export type MtlsFailureReason =
  | 'malformed_certificate'
  | 'no_cnf'
  | 'x5t_mismatch'
  | 'fingerprint_not_comparable'
  | 'cert_expired'
  | 'cert_not_yet_valid'
  | 'cert_untrusted'
  | 'cert_revoked'
  /** A CRL is configured but cannot speak for this certificate (unsigned by its issuer, stale, unreadable). */
  | 'revocation_unknown';

/** One check performed, in order, as shown to an analyst. */
export interface BindingCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** The check could not run for lack of input (e.g. no access token for `ath`). */
  skipped?: boolean;
}

export interface DpopVerifyConfig {
  /** Oldest acceptable `iat`, in seconds before now. */
  maxAgeSeconds: number;
  /** How far in the future `iat` may be, for client clocks running slightly ahead. */
  futureSkewSeconds: number;
  /** Accepted JWS algorithms; asymmetric only. */
  allowedAlgs: readonly string[];
  /** Longest proof accepted, in characters (guards the parser against huge headers). */
  maxProofLength: number;
}

export type { DpopFailureReason };
