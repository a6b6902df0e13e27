// The audit anchor: the chain head (seq, hash) at a moment, MAC'd with a key derived from the
// secret key and kept in a file outside the database. Someone who can write only the database
// cannot move it back, so deleting the newest entries (truncation) shows as a chain that ends
// before its anchor. The file only ever moves forward: a lower head never replaces a higher one.
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { canonicalJson } from './hash.ts';
import { macMatches } from './mac.ts';

export interface AuditAnchor {
  seq: bigint;
  hash: string;
  /** When the anchor was written. */
  at: Date;
}

export type AnchorRead = { kind: 'none' } | { kind: 'ok'; anchor: AuditAnchor } | { kind: 'invalid'; why: string };

const VERSION = 1;

function anchorMac(key: Buffer, a: AuditAnchor): string {
  return createHmac('sha256', key).update(canonicalJson({ v: VERSION, seq: a.seq.toString(), hash: a.hash, at: a.at.toISOString() })).digest('base64url');
}

/** The file's bytes for an anchor. */
export function formatAnchor(key: Buffer, a: AuditAnchor): string {
  return JSON.stringify({ v: VERSION, seq: a.seq.toString(), hash: a.hash, at: a.at.toISOString(), mac: anchorMac(key, a) }) + '\n';
}

/** Parses and checks an anchor file's text; a wrong MAC means another key wrote it, or someone edited it. */
export function parseAnchor(key: Buffer, text: string): AnchorRead {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { kind: 'invalid', why: 'not JSON' };
  }
  if (o === null || typeof o !== 'object' || o.v !== VERSION || typeof o.seq !== 'string' || !/^\d{1,19}$/.test(o.seq) || typeof o.hash !== 'string' || typeof o.at !== 'string' || typeof o.mac !== 'string') {
    return { kind: 'invalid', why: 'not an audit anchor (fields v, seq, hash, at, mac)' };
  }
  const at = new Date(o.at);
  if (Number.isNaN(at.getTime())) return { kind: 'invalid', why: 'bad time' };
  const anchor = { seq: BigInt(o.seq), hash: o.hash, at };
  if (!macMatches(anchorMac(key, anchor), o.mac)) return { kind: 'invalid', why: 'its MAC does not match (edited, or written under another HOLDFAST_SECRET_KEY)' };
  return { kind: 'ok', anchor };
}

export function readAnchorFile(key: Buffer, file: string): AnchorRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'invalid', why: `cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  return parseAnchor(key, text);
}

/**
 * Replaces the file by an anchor at a higher seq, atomically (write aside, rename), so a reader
 * never sees half a file and a crash leaves the old anchor. Returns false when the file already
 * holds this seq or a higher one. Throws on an unreadable or invalid file: that is evidence and
 * stays for an operator to look at.
 */
export function writeAnchorIfHigher(key: Buffer, file: string, anchor: AuditAnchor): boolean {
  const current = readAnchorFile(key, file);
  if (current.kind === 'invalid') throw new Error(`audit anchor ${file}: ${current.why}; not replacing it`);
  if (current.kind === 'ok' && current.anchor.seq >= anchor.seq) return false;
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, formatAnchor(key, anchor), { mode: 0o600, flush: true });
    renameSync(tmp, file);
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
  }
  return true;
}
