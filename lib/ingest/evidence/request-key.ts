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

/** A key whose 16 bytes are written from 32 hex digits (checked by the caller), without a buffer between. */
function withKindHex(kind: number, hex32: string): Buffer {
  const out = Buffer.allocUnsafe(REQUEST_KEY_BYTES);
  out[0] = kind;
  out.write(hex32, 1, 16, 'hex');
  return out;
}

/** Key of a request the gateway named with `requestId`. */
export function requestKeyOfId(requestId: string): Buffer {
  if (requestId.length === 32 && HEX32.test(requestId)) return withKindHex(KEY_KIND.hexId, requestId);
  if (requestId.length === 36 && UUID.test(requestId)) return withKindHex(KEY_KIND.uuidId, requestId.replaceAll('-', ''));
  return withKind(KEY_KIND.hashedId, createHash('sha256').update(requestId).digest());
}

/**
 * Key of a request logged without an id: the redacted line plus the token fingerprint and DPoP
 * proof that redaction removed from it (two requests differing only in their token are two), and
 * which occurrence of that same line in its batch it is (0 for the first). Two identical lines in
 * one batch are two requests: a gateway that logs whole seconds writes a same-second DPoP replay
 * as the very line of the original. The first occurrence keeps the key it always had.
 */
export function requestKeyOfLine(redactedRaw: string, tokenFingerprint: string | null, dpopProof: string | null, occurrence = 0): Buffer {
  const h = createHash('sha256').update(`${redactedRaw}\n${tokenFingerprint ?? ''}\n${dpopProof ?? ''}`);
  if (occurrence > 0) h.update(`\n#${occurrence}`);
  return withKind(KEY_KIND.line, h.digest());
}

/** The request's key: by its id when it has one, else by its line (as its batch's first occurrence). */
export function requestKeyOf(ev: { requestId: string | null; redactedRaw: string; tokenFingerprint: string | null; dpopProof: string | null }): Buffer {
  return ev.requestId ? requestKeyOfId(ev.requestId) : requestKeyOfLine(ev.redactedRaw, ev.tokenFingerprint, ev.dpopProof);
}

/** How many line keys a batch remembers to count identical lines (the least recently seen are forgotten first). */
export const LINE_OCCURRENCES_KEPT = 500_000;

/**
 * The request keys of one batch, in stream order: a line without an id is keyed as its n-th
 * occurrence in the batch (requestKeyOfLine), so the same file sent again gives the same keys
 * (duplicates) while two identical lines inside it stay two requests.
 *
 * Overlapping files (the next file starts with the last lines of this one): occurrences count
 * from the start of each batch, so the overlap's lines get the keys they had in the earlier batch
 * and are duplicates, as they should be. The limit is identical lines at the seam: when a run of
 * identical lines is split between two batches, the later batch's copies are counted from 0
 * again and taken for the earlier batch's (duplicates) — whether it re-sent them or logged new
 * ones cannot be told from the lines. A same-second replay is lost only when a rotation falls
 * between it and its original. Identical lines more than LINE_OCCURRENCES_KEPT distinct lines
 * apart (that many other distinct lines seen since the last copy: the line least recently seen is
 * forgotten first) are counted from 0 again too (memory stays bounded; such lines are at least
 * that many requests apart, while identical lines share their logged time).
 */
export class BatchRequestKeys {
  readonly #seen = new Map<string, number>();

  constructor(private readonly kept = LINE_OCCURRENCES_KEPT) {}

  keyOf(ev: { requestId: string | null; redactedRaw: string; tokenFingerprint: string | null; dpopProof: string | null }): Buffer {
    if (ev.requestId) return requestKeyOfId(ev.requestId);
    const first = requestKeyOfLine(ev.redactedRaw, ev.tokenFingerprint, ev.dpopProof);
    const id = first.toString('base64');
    const before = this.#seen.get(id);
    if (before === undefined) {
      if (this.#seen.size >= this.kept) this.#seen.delete(this.#seen.keys().next().value!);
      this.#seen.set(id, 0);
      return first;
    }
    // Least recently seen first out: a line seen again moves to the back of the map's order.
    this.#seen.delete(id);
    this.#seen.set(id, before + 1);
    return requestKeyOfLine(ev.redactedRaw, ev.tokenFingerprint, ev.dpopProof, before + 1);
  }
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
