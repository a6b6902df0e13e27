// Walks the audit chain in order and reports the first entry whose stored hash or link does
// not match what its content says (CONTRACT.md `audit verify`).
import type { Database } from '../db/open.ts';
import { auditEntryHash, GENESIS_HASH } from './hash.ts';

export interface AuditVerification {
  ok: boolean;
  entries: number;
  firstBadEntry: string | null;
  problem: string | null;
}

export async function verifyAuditChain(db: Database, pageSize = 5000): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let entries = 0;
  let after = -1n;
  for (;;) {
    const rows = await db.prisma.auditEntry.findMany({
      where: { seq: { gt: after } },
      orderBy: { seq: 'asc' },
      take: pageSize,
    });
    if (rows.length === 0) break;
    for (const r of rows) {
      entries++;
      if (r.prevHash !== prevHash) {
        return { ok: false, entries, firstBadEntry: r.seq.toString(), problem: 'link to the previous entry is broken (an entry was removed or reordered)' };
      }
      const expected = auditEntryHash(prevHash, { at: r.at, actor: r.actor, action: r.action, target: r.target, details: r.details });
      if (expected !== r.hash) {
        return { ok: false, entries, firstBadEntry: r.seq.toString(), problem: 'content does not match its hash (the entry was modified)' };
      }
      prevHash = r.hash;
      after = r.seq;
    }
  }
  return { ok: true, entries, firstBadEntry: null, problem: null };
}
