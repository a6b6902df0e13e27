// Sub-keys of HOLDFAST_SECRET_KEY, one per purpose (RFC 5869 HKDF-SHA-256): a MAC key for one
// job never equals the sealing key or another job's key, so a value made for one purpose is no
// use for another, and the raw secret key itself is never used as a MAC key.
import { hkdfSync } from 'node:crypto';

/** 32 bytes derived from the secret key for `purpose` (a fixed label such as `audit-entry-mac v1`). */
export function deriveSubkey(secretKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), `holdfast ${purpose}`, 32));
}
