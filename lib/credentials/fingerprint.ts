// Fingerprints: SHA-256 base64url of a token (equal to DPoP's `ath` for an access token) or of a
// certificate's DER (x5t#S256), a token known only by issuer and jti, and hex thumbprints as
// gateways log them. The one home of these for the binding engine, the log parsers and the
// inventory readers.
import { createHash } from 'node:crypto';

/** SHA-256 of a string or bytes, base64url (the token fingerprint and x5t#S256 encoding). */
export function sha256B64url(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** Fingerprint of a token known only by issuer and jti (no raw token at hand). */
export function fingerprintFromJti(issuer: string | null, jti: string): string {
  return sha256B64url(`jti:${issuer ?? ''}\n${jti}`);
}

/** Hex (optionally colon-separated) → base64url; null when not hex of the expected length. */
export function hexToB64url(hex: string, bytes: number): string | null {
  const clean = hex.replace(/:/g, '').trim();
  if (clean.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(clean)) return null;
  return Buffer.from(clean, 'hex').toString('base64url');
}

/**
 * SHA-256 base64url of a raw token string: the only form in which a token is kept. For an access
 * token this equals the DPoP `ath` value (RFC 9449 §4.2), so a logged fingerprint can be checked
 * against a proof without ever keeping the token.
 */
export function fingerprintToken(raw: string): string {
  return sha256B64url(raw);
}
