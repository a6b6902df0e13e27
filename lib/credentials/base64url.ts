// Strict base64url, shared by lib/binding and lib/ingest (thumbprints and fingerprints are
// unpadded base64url; a non-canonical one would name the same bytes twice).
// Unpadded alphabet only; canonical means the unused low bits of the last character are zero,
// so exactly one string encodes each byte sequence (RFC 4648 §3.5). The RFC 8705 example
// value `…dg2` fails this on purpose: it re-encodes as `…dg0`.
export const BASE64URL_ALPHABET = /^[A-Za-z0-9_-]*$/;
const LAST_CHAR_2 = /[AQgw]$/; // length % 4 === 2: 4 low bits must be zero
const LAST_CHAR_3 = /[AEIMQUYcgkosw048]$/; // length % 4 === 3: 2 low bits must be zero

/** Whether `s` is strict, canonical, unpadded base64url. */
export function isCanonicalBase64url(s: string): boolean {
  if (!BASE64URL_ALPHABET.test(s)) return false;
  const rem = s.length % 4;
  if (rem === 1) return false;
  if (rem === 2) return LAST_CHAR_2.test(s);
  if (rem === 3) return LAST_CHAR_3.test(s);
  return true;
}

