import { hash } from 'node:crypto';

/**
 * SHA-256 base64url of a raw token string: the only form in which a token leaves this module.
 * For an access token this equals the DPoP `ath` value (RFC 9449 §4.2), so a logged
 * fingerprint can be checked against a proof without ever keeping the token.
 */
export function fingerprintToken(raw: string): string {
  return hash('sha256', raw, 'base64url');
}
