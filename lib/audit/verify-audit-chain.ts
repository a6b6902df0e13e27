// Verifies the audit log (CONTRACT.md `audit verify`): every entry links to the one before, its
// content matches its hash, its MAC matches under the audit key, and the chain still reaches the
// anchor kept outside the database (so deleting the newest entries shows). Reports the first entry
// that fails. An intact chain moves the anchor forward: every verification is also a witness.
import { loadConfig } from '../config.ts';
import type { Database } from '../db/open.ts';
import { readAnchorFile, type AnchorRead, type AuditAnchor } from './anchor-file.ts';
import { advanceAuditAnchor, anchorFileFor, registeredAuditAnchoring } from './anchoring.ts';
import { GENESIS_HASH } from './hash.ts';
import { auditKeys } from './mac.ts';
import { walkAuditChain, type AuditProblem, type AuditProblemCode, type WalkResult } from './walk-audit-chain.ts';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  firstBadEntry: string | null;
  problem: string | null;
  reason: AuditProblemCode | null;
  /** Entries without a MAC (from before MACs existed), pinned by a later MAC or the anchor. */
  legacyEntries: number;
  /** The anchor the chain was checked against (before this verification moved it), or null. */
  anchor: { seq: string; at: string } | null;
}

export interface VerifyOptions {
  /** Anchor file to check against; default: the running anchor writer's, else the configured one for this database. */
  anchorFile?: string | null;
  /** Move the anchor to the verified head when the chain is intact (default true). */
  advanceAnchor?: boolean;
  pageSize?: number;
}

function defaultAnchorFile(db: Database): string | null {
  const running = registeredAuditAnchoring();
  if (running?.db === db) return running.file;
  return anchorFileFor(db, loadConfig());
}

/** Truncation and tail rewrites: the chain must still contain the anchored entry, unchanged. */
function anchorProblem(walk: WalkResult, anchor: AuditAnchor): AuditProblem | null {
  const when = anchor.at.toISOString();
  if (!walk.head || walk.head.seq < anchor.seq) {
    const end = walk.head ? `ends at entry ${walk.head.seq}` : 'is empty';
    return { code: 'truncated', seq: anchor.seq, message: `the chain ${end} but entry ${anchor.seq} was anchored at ${when}: the newest entries were deleted` };
  }
  if (walk.watchedHash === null) return { code: 'anchor_mismatch', seq: anchor.seq, message: `entry ${anchor.seq}, anchored at ${when}, is missing` };
  if (walk.watchedHash !== anchor.hash) return { code: 'anchor_mismatch', seq: anchor.seq, message: `entry ${anchor.seq} is not the one anchored at ${when} (rewritten)` };
  return null;
}

function report(walk: WalkResult, read: AnchorRead, problem: AuditProblem | null): AuditVerification {
  return {
    ok: problem === null,
    entries: walk.entries,
    firstBadEntry: problem?.seq?.toString() ?? null,
    problem: problem?.message ?? null,
    reason: problem?.code ?? null,
    legacyEntries: walk.legacyEntries,
    anchor: read.kind === 'ok' ? { seq: read.anchor.seq.toString(), at: read.anchor.at.toISOString() } : null,
  };
}

export async function verifyAuditChain(db: Database, opts: VerifyOptions = {}): Promise<AuditVerification> {
  const keys = auditKeys();
  const file = opts.anchorFile === undefined ? defaultAnchorFile(db) : opts.anchorFile;
  const read: AnchorRead = file ? readAnchorFile(keys.anchor, file) : { kind: 'none' };
  const anchor = read.kind === 'ok' ? read.anchor : null;
  const walk = await walkAuditChain(db, { key: keys.entry, after: null, genesisHash: GENESIS_HASH, anchorSeq: anchor?.seq ?? null, watchSeq: anchor?.seq, pageSize: opts.pageSize });
  const problem =
    walk.problem ??
    (read.kind === 'invalid' ? { code: 'anchor_invalid' as const, seq: null, message: `the audit anchor file is unusable: ${read.why}` } : null) ??
    (anchor ? anchorProblem(walk, anchor) : null);
  const result = report(walk, read, problem);
  const target = walk.lastMac ?? walk.head;
  // Moving the anchor is a courtesy of a good verification, not part of its answer: an unwritable
  // file must not turn "intact" into an error (the server's anchor writer logs it).
  if (result.ok && file && target && opts.advanceAnchor !== false) await advanceAuditAnchor(db, file, target).catch(() => {});
  return result;
}
