// Audit log as JSON lines for a SIEM: one entry per line, in chain order, with the hashes so
// the receiver can re-verify the chain itself. Streams in pages; memory stays flat.
import { z } from 'zod';
import type { Database } from '../db/open.ts';
import { instantParam } from '../domain/query-params.ts';

// GET /api/v1/audit/entries's query; the OpenAPI document shows it. from / to as instantParam reads
// them: zod's datetime() lets year 0000 through, which PostgreSQL refused inside the stream after
// the headers had gone (a dropped connection instead of a 400).
export const AuditEntriesQuerySchema = z.object({
  after: z.string().regex(/^\d{1,18}$/, 'must be an audit sequence number').optional().describe('sequence number to continue after'),
  from: instantParam('from').describe('entries at or after this instant (ISO 8601 with offset)'),
  to: instantParam('to').describe('entries before this instant (ISO 8601 with offset)'),
});

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
