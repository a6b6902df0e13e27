import { isCanonicalBase64url } from '../credentials/base64url.ts';
import { BindingError } from './errors.ts';

// Unpadded alphabet only; canonical means the unused low bits of the last character are zero (../credentials/base64url.ts).

export { isCanonicalBase64url };

const ALPHABET = /^[A-Za-z0-9_-]*$/;

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
