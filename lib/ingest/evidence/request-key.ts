// The key that identifies one logged request inside its dedupe namespace (a source), 17 bytes:
// a kind byte, then 16 bytes. When the gateway logs its own request id in a canonical form
// (NGINX `$request_id`: 32 hex digits; Envoy / most proxies: a UUID) the 16 bytes ARE that id,
// so the ledger row needs no text column to say which request it was; other ids and lines
// without an id are keyed by 16 bytes of SHA-256 (collision-free at fleet volumes: 2^-64 per
// pair would not be, 2^-128 is).
import { createHash } from 'node:crypto';

export const REQUEST_KEY_BYTES = 17;

export const KEY_KIND = {
  /** 32 lower-case hex digits, stored as their 16 bytes. */
  hexId: 1,
  /** A lower-case UUID with dashes, stored as its 16 bytes. */
  uuidId: 2,
  /** Any other request id: SHA-256 of it. */
  hashedId: 3,
  /** No request id: SHA-256 of the redacted line and what was dropped from it. */
  line: 4,
} as const;

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function withKind(kind: number, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(REQUEST_KEY_BYTES);
  out[0] = kind;
  body.copy(out, 1, 0, 16);
  return out;
}

/** Key of a request the gateway named with `requestId`. */
export function requestKeyOfId(requestId: string): Buffer {
  if (requestId.length === 32 && HEX32.test(requestId)) return withKind(KEY_KIND.hexId, Buffer.from(requestId, 'hex'));
  if (requestId.length === 36 && UUID.test(requestId)) return withKind(KEY_KIND.uuidId, Buffer.from(requestId.replaceAll('-', ''), 'hex'));
  return withKind(KEY_KIND.hashedId, createHash('sha256').update(requestId).digest());
}

/**
 * Key of a request logged without an id: the redacted line plus the token fingerprint and DPoP
 * proof that redaction removed from it (two requests differing only in their token are two).
 */
export function requestKeyOfLine(redactedRaw: string, tokenFingerprint: string | null, dpopProof: string | null): Buffer {
  return withKind(KEY_KIND.line, createHash('sha256').update(`${redactedRaw}\n${tokenFingerprint ?? ''}\n${dpopProof ?? ''}`).digest());
}

/** The request's key: by its id when it has one, else by its line. */
export function requestKeyOf(ev: { requestId: string | null; redactedRaw: string; tokenFingerprint: string | null; dpopProof: string | null }): Buffer {
  return ev.requestId ? requestKeyOfId(ev.requestId) : requestKeyOfLine(ev.redactedRaw, ev.tokenFingerprint, ev.dpopProof);
}

/** The request id a key carries in itself (hex or UUID ids), or null when the key is a hash. */
export function requestIdOfKey(key: Uint8Array): string | null {
  if (key.length !== REQUEST_KEY_BYTES) return null;
  const hex = Buffer.from(key.subarray(1)).toString('hex');
  if (key[0] === KEY_KIND.hexId) return hex;
  if (key[0] === KEY_KIND.uuidId) return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return null;
}

/** Whether the id is stored inside the key (so the ledger needs no text copy of it). */
export function keyCarriesId(key: Uint8Array): boolean {
  return key[0] === KEY_KIND.hexId || key[0] === KEY_KIND.uuidId;
}
