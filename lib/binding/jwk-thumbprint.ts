import { hash } from 'node:crypto';
import { isCanonicalBase64url } from './base64url.ts';
import { BindingError } from './errors.ts';

// RFC 7638 §3.2: only the required members, in lexicographic order, no whitespace.
const REQUIRED_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
  oct: ['k', 'kty'],
};

// Members whose values are base64url-encoded octets (checked strictly; `crv`/`kty` are names).
const OCTET_MEMBERS = new Set(['x', 'y', 'e', 'n', 'k']);

/** The canonical JSON that RFC 7638 hashes, e.g. `{"crv":"P-256","kty":"EC","x":"…","y":"…"}`. */
export function jwkThumbprintInput(jwk: unknown): string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new BindingError('jwk_invalid', 'JWK must be a JSON object');
  }
  const rec = jwk as Record<string, unknown>;
  const kty = rec.kty;
  if (typeof kty !== 'string') throw new BindingError('jwk_invalid', 'JWK has no "kty" string');
  const members = REQUIRED_MEMBERS[kty];
  if (!members) throw new BindingError('jwk_unsupported_kty', `unsupported JWK kty "${kty.slice(0, 16)}"`);
  let out = '{';
  for (let i = 0; i < members.length; i++) {
    const name = members[i] as string;
    const value = rec[name];
    if (typeof value !== 'string' || value.length === 0) {
      throw new BindingError('jwk_invalid', `JWK (${kty}) lacks the required member "${name}"`);
    }
    if (OCTET_MEMBERS.has(name) && !isCanonicalBase64url(value)) {
      throw new BindingError('jwk_invalid', `JWK member "${name}" is not canonical base64url`);
    }
    out += (i ? ',' : '') + JSON.stringify(name) + ':' + JSON.stringify(value);
  }
  return out + '}';
}

/** RFC 7638 SHA-256 JWK thumbprint (base64url) of an EC, RSA, OKP or oct JWK object. */
export function computeJwkThumbprint(jwk: unknown): string {
  return hash('sha256', jwkThumbprintInput(jwk), 'base64url');
}

/** Parses a JWK given as a JSON string and returns its RFC 7638 thumbprint. */
export function thumbprintJwk(json: string): { jkt: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new BindingError('json_invalid', 'JWK is not valid JSON');
  }
  return { jkt: computeJwkThumbprint(parsed) };
}
