import { BindingError } from './errors.ts';

// Unpadded alphabet only; canonical means the unused low bits of the last character are zero,
// so exactly one string encodes each byte sequence (RFC 4648 §3.5). The RFC 8705 example
// value `…dg2` fails this on purpose: it re-encodes as `…dg0`.
const ALPHABET = /^[A-Za-z0-9_-]*$/;
const LAST_CHAR_2 = /[AQgw]$/; // length % 4 === 2: 4 low bits must be zero
const LAST_CHAR_3 = /[AEIMQUYcgkosw048]$/; // length % 4 === 3: 2 low bits must be zero

/** Whether `s` is strict, canonical, unpadded base64url. */
export function isCanonicalBase64url(s: string): boolean {
  if (!ALPHABET.test(s)) return false;
  const rem = s.length % 4;
  if (rem === 1) return false;
  if (rem === 2) return LAST_CHAR_2.test(s);
  if (rem === 3) return LAST_CHAR_3.test(s);
  return true;
}

/** Decodes strict, canonical, unpadded base64url; throws BindingError otherwise. */
export function decodeBase64url(s: string): Buffer {
  if (typeof s !== 'string' || !ALPHABET.test(s) || s.length % 4 === 1) {
    throw new BindingError('base64url_invalid', 'not unpadded base64url');
  }
  if (!isCanonicalBase64url(s)) {
    throw new BindingError('base64url_noncanonical', 'base64url value is not canonical (non-zero trailing bits)');
  }
  return Buffer.from(s, 'base64url');
}

/** Encodes bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
