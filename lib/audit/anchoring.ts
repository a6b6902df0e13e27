// Keeps the audit anchor file (lib/audit/anchor-file.ts) close behind the chain's head. The
// server starts one writer for its database (startAuditAnchoring); every append notes its seq,
// and the writer anchors the committed head at most once per interval, and once more on stop.
// The anchor only moves forward, and only over entries that check out since the last anchor, so
// a truncation or rewrite done while the server runs is not papered over by the next anchor.
import path from 'node:path';
import type { HoldfastConfig } from '../config.ts';
import type { Database } from '../db/open.ts';
import { readAnchorFile, writeAnchorIfHigher, type AuditAnchor } from './anchor-file.ts';
import { GENESIS_HASH } from './hash.ts';
import { auditKeys } from './mac.ts';
import { walkAuditChain, type ChainPoint } from './walk-audit-chain.ts';

/**
 * The anchor file for a database handle: the configured file (HOLDFAST_AUDIT_ANCHOR_FILE, else
 * audit-anchor.json in the embedded database's data directory), but only when the handle is the
 * configured database itself. Test and in-memory databases get none, so they can never move or
 * be judged against a real installation's anchor.
 */
export function anchorFileFor(db: Database, cfg: Pick<HoldfastConfig, 'auditAnchorFile' | 'databaseUrl' | 'dataDir'>): string | null {
  if (!cfg.auditAnchorFile) return null;
  if (db.kind === 'pglite') return !cfg.databaseUrl && db.pglite?.dataDir === path.join(cfg.dataDir, 'pgdata') ? cfg.auditAnchorFile : null;
  return cfg.databaseUrl !== undefined && db.pool?.options.connectionString === cfg.databaseUrl ? cfg.auditAnchorFile : null;
}

export type AnchorAdvance =
  | { kind: 'written'; anchor: AuditAnchor }
  /** `seq`: what the file holds (it may be ahead: another writer, a verification). */
  | { kind: 'unchanged'; seq: bigint | null }
  | { kind: 'refused'; why: string };

/**
 * Moves the anchor to the newest entry that checks out. From an existing anchor: the anchored
 * entry must still be there, unchanged, and every entry after it must link, hash and MAC
 * correctly; the target is the newest entry with a MAC (older ones are pinned by it). Without an
 * anchor yet, the whole chain is walked once and its head anchored (a chain from before MACs
 * included: the anchor then pins it). `verified` skips the walk when the caller just did it.
 */
export async function advanceAuditAnchor(db: Database, file: string, verified?: ChainPoint): Promise<AnchorAdvance> {
  const key = auditKeys();
  const current = readAnchorFile(key.anchor, file);
  if (current.kind === 'invalid') return { kind: 'refused', why: `the anchor file ${file} is unusable: ${current.why}` };
  const from = current.kind === 'ok' ? current.anchor : null;
  const unchanged = { kind: 'unchanged', seq: from?.seq ?? null } as const;
  let target: ChainPoint | null = verified ?? null;
  if (!target) {
    if (from) {
      const [row] = await db.query<{ hash: string }>(`SELECT hash FROM "AuditEntry" WHERE seq = $1::bigint`, [from.seq.toString()]);
      if (row?.hash !== from.hash) return { kind: 'refused', why: `anchored entry ${from.seq} is ${row ? 'changed' : 'missing'}` };
    }
    const walk = await walkAuditChain(db, { key: key.entry, after: from, genesisHash: GENESIS_HASH, anchorSeq: from?.seq ?? null });
    if (walk.problem) return { kind: 'refused', why: `entry ${walk.problem.seq}: ${walk.problem.message}` };
    target = from ? walk.lastMac : walk.head;
  }
  if (!target) return unchanged;
  const anchor = { seq: target.seq, hash: target.hash, at: new Date() };
  return writeAnchorIfHigher(key.anchor, file, anchor) ? { kind: 'written', anchor } : unchanged;
}

export interface AuditAnchoring {
  readonly db: Database;
  readonly file: string;
  /** Called by every append with the seq it wrote (committed or not yet). */
  noteAppend(seq: bigint): void;
  /** Anchors the committed head now. */
  flush(): Promise<AnchorAdvance>;
  /** Stops the timer, anchors once more, unregisters. */
  stop(): Promise<void>;
}

const SLOT = Symbol.for('holdfast.auditAnchoring');
type Slot = { anchoring?: AuditAnchoring };
const slot = ((globalThis as Record<symbol, unknown>)[SLOT] ??= {}) as Slot;

/** The running writer, if this process started one (the server does, for its database). */
export function registeredAuditAnchoring(): AuditAnchoring | undefined {
  return slot.anchoring;
}

/** Tells the running writer, if any, that an append wrote `seq`. */
export function noteAuditAppend(seq: bigint): void {
  slot.anchoring?.noteAppend(seq);
}

export interface AnchoringOptions {
  file: string | null;
  /** At most one anchor write per interval (default 1 s). */
  intervalMs?: number;
  /** How many intervals to wait for a noted append to commit before giving up on it (rolled back). */
  patience?: number;
  log?: (line: string) => void;
}

const NO_ANCHORING: Omit<AuditAnchoring, 'db'> = {
  file: '',
  noteAppend: () => {},
  flush: async () => ({ kind: 'unchanged', seq: null }),
  stop: async () => {},
};

/**
 * Starts the anchor writer for a database and registers it process-wide, so appends made through
 * any module instance (the server's, Next.js's bundle) reach it. Anchors the head at once: after
 * an upgrade that pins the entries written before MACs existed.
 */
export function startAuditAnchoring(db: Database, opts: AnchoringOptions): AuditAnchoring {
  if (!opts.file) return { ...NO_ANCHORING, db };
  const file = opts.file;
  const interval = opts.intervalMs ?? 1000;
  const patience = opts.patience ?? 30;
  const log = opts.log ?? (() => {});
  let wanted = -1n; // highest seq an append reported
  let anchored = -1n;
  let timer: NodeJS.Timeout | null = null;
  let lastWrite = 0;
  let waits = 0;
  let lastRefusal = '';
  let stopped = false;
  let chain: Promise<AnchorAdvance> = Promise.resolve({ kind: 'unchanged', seq: null });

  const write = (): Promise<AnchorAdvance> => {
    chain = chain.then(async () => {
      lastWrite = Date.now();
      try {
        const r = await advanceAuditAnchor(db, file);
        const reached = r.kind === 'written' ? r.anchor.seq : r.kind === 'unchanged' ? r.seq : null;
        if (reached !== null && reached > anchored) anchored = reached;
        if (r.kind === 'refused' && r.why !== lastRefusal) log(`holdfast: audit anchor not moved: ${r.why} (run holdfast audit verify)`);
        lastRefusal = r.kind === 'refused' ? r.why : '';
        return r;
      } catch (e) {
        log(`holdfast: audit anchor not written: ${(e as Error).message.split('\n')[0]}`);
        return { kind: 'refused', why: (e as Error).message } as const;
      }
    });
    return chain;
  };

  // The noted seq may belong to a transaction that has not committed yet: try again each
  // interval until the anchor reaches it, or give up after `patience` tries (it rolled back).
  const schedule = () => {
    if (timer || stopped) return;
    timer = setTimeout(async () => {
      timer = null;
      const r = await write();
      const pending = wanted > anchored && r.kind !== 'refused';
      waits = pending ? waits + 1 : 0;
      if (pending && waits < patience) schedule();
    }, Math.max(0, lastWrite + interval - Date.now()));
    timer.unref();
  };

  const anchoring: AuditAnchoring = {
    db,
    file,
    noteAppend(seq) {
      if (seq > wanted) wanted = seq;
      waits = 0;
      schedule();
    },
    flush: write,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await write();
      if (slot.anchoring === anchoring) slot.anchoring = undefined;
    },
  };
  slot.anchoring = anchoring;
  void write();
  return anchoring;
}
