// The event skeleton every gateway parser fills, and source verdicts read from what a gateway
// or identity provider logged itself (its certificate check, its OAuth error).
import { certFailureOfVerify } from '../credentials/cert-failure.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import type { Json } from './fields.ts';
import { redact, redactJsonLine } from './redact.ts';

/** Source verdict from a gateway's own client-certificate check (`FAILED:<openssl reason>`). */
export function verdictFromCertVerify(verify: string | null): NormalizedEvent['sourceVerdict'] {
  // The exact OpenSSL texts, as the binding engine reads them (lib/credentials/cert-failure.ts).
  return certFailureOfVerify(verify);
}

/**
 * Source verdict from an OAuth error code plus its human reason, as Keycloak and OCSF
 * `status_detail` state them. Unknown errors give null: the binding engine decides those.
 */
export function verdictFromOAuthError(error: string | null, reason: string | null): NormalizedEvent['sourceVerdict'] {
  const e = (error ?? '').toLowerCase();
  const r = (reason ?? '').toLowerCase();
  if (e === 'invalid_dpop_proof' || e === 'use_dpop_nonce' || (!e && r.includes('dpop'))) {
    if (e === 'use_dpop_nonce') return { verdict: 'proof_invalid', reason: 'nonce' };
    if (/missing|not present|no dpop/.test(r)) return { verdict: 'no_proof_for_bound_token', reason: null };
    return { verdict: 'proof_invalid', reason: dpopReasonFromText(r) };
  }
  if (e === 'not_allowed' && r.includes('certificate') && (r.includes('thumbprint') || r.includes('match'))) {
    return { verdict: 'binding_mismatch', reason: 'x5t_mismatch' };
  }
  if ((e === 'invalid_token' || e === 'invalid_grant') && /expired|not active/.test(r)) {
    return { verdict: 'token_expired', reason: null };
  }
  return null;
}

function dpopReasonFromText(r: string): string | null {
  if (/replay|already (been )?used|jti/.test(r)) return 'jti_replay';
  if (/thumbprint|jkt|key mismatch|bound key/.test(r)) return 'jkt_mismatch';
  if (/\bhtm\b|http method/.test(r)) return 'htm';
  if (/\bhtu\b|http ur[il]|url mismatch/.test(r)) return 'htu';
  if (/\bath\b|access token hash/.test(r)) return 'ath';
  if (/nonce/.test(r)) return 'nonce';
  if (/\biat\b|not active|issued|too old|future|expired/.test(r)) return 'iat';
  if (/signature/.test(r)) return 'signature';
  if (/private key/.test(r)) return 'private_key_in_jwk';
  if (/\balg|algorithm/.test(r)) return 'alg';
  if (/\btyp\b|type/.test(r)) return 'typ';
  if (/malformed|invalid|parse/.test(r)) return 'malformed';
  return null;
}

/**
 * The event skeleton every gateway parser fills. Its `redactedRaw` is worked out when first read:
 * only requests kept in full (every one that is not plain ok) store their line, and redacting a
 * line costs about a fifth of parsing it. `parsed` must not be changed after this call (the
 * redaction reads it then); the unredacted line stays inside this closure.
 */
export function newEvent(format: string, occurredAt: Date, raw: string, parsed?: Json): NormalizedEvent {
  let redacted: string | null = null;
  return {
    format,
    occurredAt,
    requestId: null,
    gateway: null,
    method: null,
    url: null,
    clientIp: null,
    httpStatus: null,
    authScheme: null,
    hasDpop: false,
    dpopProof: null,
    tokenFingerprint: null,
    tokenClaims: null,
    identityHint: null,
    cert: null,
    failureDetail: null,
    sourceVerdict: null,
    get redactedRaw(): string {
      return (redacted ??= parsed ? redactJsonLine(raw, parsed) : redact(raw));
    },
    set redactedRaw(v: string) {
      redacted = v;
    },
  };
}
