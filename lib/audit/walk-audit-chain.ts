// Walks audit entries in chain order and finds the first one that does not check out: its link
// to the entry before, its hash, its MAC, or — for the newest entries — a MAC missing where one
// must be. Shared by verification (from the start of the chain) and by the anchor writer (from
// the last anchor on).
import type { Database } from '../db/open.ts';
import { auditEntryHash } from './hash.ts';
import { auditEntryMac, macMatches } from './mac.ts';

export type AuditProblemCode = 'link_broken' | 'hash_mismatch' | 'mac_mismatch' | 'mac_missing' | 'truncated' | 'anchor_mismatch' | 'anchor_invalid';

export interface AuditProblem {
  code: AuditProblemCode;
  /** seq of the first entry that fails, or null when no entry can be named (an unreadable anchor). */
  seq: bigint | null;
  message: string;
}

export interface ChainPoint {
  seq: bigint;
  hash: string;
}

export interface WalkResult {
  entries: number;
  /** Entries without a MAC (written before MACs existed). */
  legacyEntries: number;
  head: ChainPoint | null;
  /** The newest entry carrying a valid MAC: everything up to it is pinned by that MAC. */
  lastMac: ChainPoint | null;
  /** Hash of the entry at `watchSeq`, when the walk met it. */
  watchedHash: string | null;
  problem: AuditProblem | null;
}

export interface WalkOptions {
  key: Buffer;
  /** Start after this entry (its hash is what the next entry must link to); null: from the genesis. */
  after: { seq: bigint; hash: string } | null;
  genesisHash: string;
  /**
   * Entries up to this seq are pinned by an anchor, so they may lack a MAC. Null: no anchor.
   */
  anchorSeq: bigint | null;
  watchSeq?: bigint;
  pageSize?: number;
}

/**
 * Why a MAC can be missing: entries written before MACs existed. Such an entry is safe when a
 * later entry's MAC pins it (that MAC covers the later entry's prevHash, hence this entry's hash)
 * or the anchor covers it. The newest entries after the last MAC and after the anchor are not
 * pinned by anything: once the chain has a MAC or an anchor, they must carry a MAC, else someone
 * could strip the MACs off the tail and rewrite it as "old".
 */
function unpinnedTail(firstUnpinned: bigint | null, sawMac: boolean, anchorSeq: bigint | null): AuditProblem | null {
  if (firstUnpinned === null || (!sawMac && anchorSeq === null)) return null;
  return { code: 'mac_missing', seq: firstUnpinned, message: 'the newest entries carry no MAC (rewritten with the MACs stripped, or written by an older Holdfast version)' };
}

export async function walkAuditChain(db: Database, opts: WalkOptions): Promise<WalkResult> {
  const take = opts.pageSize ?? 5000;
  let prevHash = opts.after?.hash ?? opts.genesisHash;
  let after = opts.after?.seq ?? -1n;
  const r: WalkResult = { entries: 0, legacyEntries: 0, head: opts.after, lastMac: null, watchedHash: null, problem: null };
  let firstUnpinned: bigint | null = null;
  for (;;) {
    const rows = await db.prisma.auditEntry.findMany({ where: { seq: { gt: after } }, orderBy: { seq: 'asc' }, take });
    for (const row of rows) {
      r.entries++;
      const fail = (code: AuditProblemCode, message: string) => ({ ...r, problem: { code, seq: row.seq, message } });
      if (row.prevHash !== prevHash) return fail('link_broken', 'link to the previous entry is broken (an entry was removed or reordered, or the one before it rewritten)');
      if (auditEntryHash(prevHash, { at: row.at, actor: row.actor, action: row.action, target: row.target, details: row.details }) !== row.hash) {
        return fail('hash_mismatch', 'content does not match its hash (the entry was modified)');
      }
      if (row.mac !== null) {
        if (!macMatches(auditEntryMac(opts.key, { seq: row.seq, prevHash, hash: row.hash }), row.mac)) {
          return fail('mac_mismatch', 'its MAC does not match (the entry was rewritten or moved without the audit key)');
        }
        r.lastMac = { seq: row.seq, hash: row.hash };
        firstUnpinned = null;
      } else {
        r.legacyEntries++;
        if (firstUnpinned === null && (opts.anchorSeq === null || row.seq > opts.anchorSeq)) firstUnpinned = row.seq;
      }
      if (row.seq === opts.watchSeq) r.watchedHash = row.hash;
      prevHash = row.hash;
      after = row.seq;
      r.head = { seq: row.seq, hash: row.hash };
    }
    if (rows.length < take) break;
  }
  r.problem = unpinnedTail(firstUnpinned, r.lastMac !== null, opts.anchorSeq);
  return r;
}
