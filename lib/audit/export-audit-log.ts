// Audit log as JSON lines for a SIEM: one entry per line, in chain order, with the hashes so
// the receiver can re-verify the chain itself. Streams in pages; memory stays flat.
import type { Database } from '../db/open.ts';

export interface AuditExportOptions {
  afterSeq?: bigint;
  from?: Date;
  to?: Date;
  pageSize?: number;
}

export async function* auditLogJsonLines(db: Database, opts: AuditExportOptions = {}): AsyncGenerator<string> {
  let after = opts.afterSeq ?? -1n;
  const take = opts.pageSize ?? 2000;
  for (;;) {
    const rows = await db.prisma.auditEntry.findMany({
      where: {
        seq: { gt: after },
        ...(opts.from || opts.to ? { at: { ...(opts.from ? { gte: opts.from } : {}), ...(opts.to ? { lt: opts.to } : {}) } } : {}),
      },
      orderBy: { seq: 'asc' },
      take,
    });
    if (rows.length === 0) return;
    for (const r of rows) {
      yield JSON.stringify({ seq: r.seq.toString(), at: r.at.toISOString(), actor: r.actor, action: r.action, target: r.target, details: r.details, prevHash: r.prevHash, hash: r.hash }) + '\n';
      after = r.seq;
    }
    if (rows.length < take) return;
  }
}
