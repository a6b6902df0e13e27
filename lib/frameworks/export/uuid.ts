// Deterministic name-based UUIDs (RFC 9562 version 5: SHA-1 over namespace + name), so the same
// export inputs give the same OSCAL document, and an observation keeps its uuid across exports.
import { createHash } from 'node:crypto';

/** Holdfast's namespace for name-based UUIDs (itself a random v4, fixed forever). */
export const HOLDFAST_UUID_NS = '6f1c2a57-3c1e-4b7a-9d52-5be0c4f1a9e3';

const nsCache = new Map<string, Buffer>();
function nsBytes(uuid: string): Buffer {
  let b = nsCache.get(uuid);
  if (!b) {
    b = Buffer.from(uuid.replace(/-/g, ''), 'hex');
    nsCache.set(uuid, b);
  }
  return b;
}

/** UUID v5 of `name` in `namespace`. Hot path of large exports: works on the hex digest directly. */
export function uuidV5(name: string, namespace: string = HOLDFAST_UUID_NS): string {
  const h = createHash('sha1').update(nsBytes(namespace)).update(name, 'utf8').digest('hex');
  // Version nibble (index 12) = 5; variant bits of index 16 = 10xx.
  const variant = ((parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
