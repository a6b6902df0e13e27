// What a logged Authorization header tells without keeping it: the scheme, the token's
// SHA-256 fingerprint and, for a JWT, its claims; a logged DPoP proof; the identity hint.
import { sha256B64url } from '../credentials/fingerprint.ts';
import { decodeJwtClaims } from '../credentials/jwt.ts';

/** A redaction marker a gateway writes instead of a header's value (Kong's `REDACTED`, `[redacted]`). */
const REDACTED = /^\[?redacted\]?$/i;

export interface AuthFacts {
  authScheme: string | null;
  tokenFingerprint: string | null;
  tokenClaims: Record<string, unknown> | null;
}

/**
 * Facts from a logged Authorization header value. The credential is hashed (SHA-256
 * base64url) and, when a JWT, its claims decoded; the raw value goes nowhere.
 * Gateways that redact it (Kong's `REDACTED`) yield the scheme only when one is visible.
 */
export function authFacts(header: string | null): AuthFacts {
  if (header === null) return { authScheme: null, tokenFingerprint: null, tokenClaims: null };
  const h = header.trim();
  const sp = h.indexOf(' ');
  if (sp === -1) {
    // A bare word is a scheme as logged by `map $http_authorization $authz_scheme`, or a redaction marker.
    return { authScheme: /^redacted$/i.test(h) || !h ? null : h, tokenFingerprint: null, tokenClaims: null };
  }
  const scheme = h.slice(0, sp);
  const cred = h.slice(sp + 1).trim();
  if (!cred || REDACTED.test(cred)) return { authScheme: scheme, tokenFingerprint: null, tokenClaims: null };
  return { authScheme: scheme, tokenFingerprint: sha256B64url(cred), tokenClaims: decodeJwtClaims(cred) };
}

/**
 * A logged DPoP header value, as the request carried it: one proof, something that is not a JWT,
 * or several proofs joined (Apache logs repeated headers as `p1, p2`). The verifier says which
 * (RFC 9449 §4.3 checks 1–2: `multiple_proofs`, `malformed`); reading a bad value as "not logged"
 * would call an unenforced binding unjudged. Null when nothing was logged or the source redacted it
 * (then only its presence is known). Verified, then dropped: never stored.
 */
export function dpopProofOf(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim();
  return t === '' || REDACTED.test(t) ? null : t;
}

/** Preferred identity hint: token client_id, then sub, then the one the source names, then certificate. */
export function identityFrom(claims: Record<string, unknown> | null, ...hints: (string | null)[]): string | null {
  for (const k of ['client_id', 'azp', 'sub']) {
    const v = claims?.[k];
    if (typeof v === 'string' && v) return v;
  }
  for (const h of hints) if (h) return h;
  return null;
}
