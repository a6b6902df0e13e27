// Keyed MACs for the audit log. The SHA-256 chain alone uses no key: anyone who can write the
// table can rewrite an entry and recompute every hash after it. An HMAC under a key derived from
// HOLDFAST_SECRET_KEY cannot be recomputed without the key, so a rewritten entry (the newest
// included) no longer verifies. The anchor (lib/audit/anchor-file.ts) gets a key of its own.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deriveSubkey } from '../crypto/derive-key.ts';
import { getSecretKey } from '../server/secret-key.ts';
import { canonicalJson } from './hash.ts';

export interface AuditKeys {
  entry: Buffer;
  anchor: Buffer;
}

const derived = new WeakMap<Buffer, AuditKeys>();

/** The audit MAC keys for a secret key (HKDF, one label per purpose; never the raw key). */
export function deriveAuditKeys(secretKey: Buffer): AuditKeys {
  let keys = derived.get(secretKey);
  if (!keys) {
    keys = { entry: deriveSubkey(secretKey, 'audit-entry-mac v1'), anchor: deriveSubkey(secretKey, 'audit-anchor-mac v1') };
    derived.set(secretKey, keys);
  }
  return keys;
}

/**
 * The process's audit keys, from the secret key registered at server start (lib/server/secret-key.ts);
 * the CLI, which registers nothing, gets the same key from HOLDFAST_SECRET_KEY or the data
 * directory's secret.key, as the server does.
 */
export function auditKeys(): AuditKeys {
  return deriveAuditKeys(getSecretKey());
}

/** What an entry's MAC covers: its place in the chain (seq, prevHash) and its hash, which covers its content. */
export interface MacInput {
  seq: bigint;
  prevHash: string;
  hash: string;
}

export function auditEntryMac(key: Buffer, e: MacInput): string {
  return createHmac('sha256', key).update(canonicalJson({ seq: e.seq.toString(), prevHash: e.prevHash, hash: e.hash })).digest('base64url');
}

/** Constant-time comparison of a stored MAC with the one the key gives. */
export function macMatches(expected: string, stored: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
