// Deterministic name-based UUIDs (RFC 9562 version 5: SHA-1 over namespace + name), so the same
// export inputs give the same OSCAL document, and an observation keeps its uuid across exports.
import { createHash } from 'node:crypto';

/** Holdfast's namespace for name-based UUIDs (itself a random v4, fixed forever). */
export const HOLDFAST_UUID_NS = '6f1c2a57-3c1e-4b7a-9d52-5be0c4f1a9e3';

function parse(uuid: string): Buffer {
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** UUID v5 of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = HOLDFAST_UUID_NS): string {
  const h = createHash('sha1').update(parse(namespace)).update(name, 'utf8').digest();
  const b = h.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const x = b.toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
