// What a database writer without the secret key can do to the audit log, for the tamper tests:
// read rows, rewrite an entry's content and give it the SHA-256 the new content calls for
// (anyone can compute that), re-link the entries after it, strip MACs.
import type { Database } from '../../db/open.ts';
import { auditEntryHash } from '../hash.ts';

export interface StoredAuditRow {
  seq: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  prevHash: string;
  hash: string;
  mac: string | null;
}

/** Entries in chain order (seq as text: BigInt-safe on both drivers). */
export async function auditRows(db: Database, range: { from?: string; to?: string } = {}): Promise<StoredAuditRow[]> {
  return db.query<StoredAuditRow>(
    `SELECT seq::text AS seq, at, actor, action, target, details, "prevHash", hash, mac FROM "AuditEntry"
     WHERE seq >= coalesce($1::bigint, seq) AND seq <= coalesce($2::bigint, seq) ORDER BY "AuditEntry".seq`,
    [range.from ?? null, range.to ?? null],
  );
}

/** Gives an entry new details (and optionally a new link) with a matching SHA-256; returns that hash. */
export async function rewriteEntry(db: Database, row: StoredAuditRow, details: unknown, opts: { prevHash?: string; stripMac?: boolean } = {}): Promise<string> {
  const prevHash = opts.prevHash ?? row.prevHash;
  const hash = auditEntryHash(prevHash, { at: new Date(row.at), actor: row.actor, action: row.action, target: row.target, details });
  await db.query(`UPDATE "AuditEntry" SET details = $2::jsonb, "prevHash" = $3, hash = $4${opts.stripMac ? ', mac = NULL' : ''} WHERE seq = $1::bigint`, [
    row.seq, JSON.stringify(details), prevHash, hash,
  ]);
  return hash;
}

/** Rewrites the first of `rows` and re-links every later one to the new hashes, as a careful forger would. */
export async function rewriteAndRelink(db: Database, rows: StoredAuditRow[], details: unknown, opts: { stripMac?: boolean } = {}): Promise<void> {
  let prev: string | undefined;
  for (const [i, r] of rows.entries()) prev = await rewriteEntry(db, r, i === 0 ? details : r.details, { prevHash: prev, stripMac: opts.stripMac });
}
