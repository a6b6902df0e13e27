import { z } from 'zod';
import { auditLogJsonLines } from '@/lib/audit/export-audit-log.ts';
import { instantParam } from '@/lib/domain/query-params.ts';
import { apiRoute } from '@/lib/http/route.ts';

// from / to as instantParam reads them: zod's datetime() lets year 0000 through, which PostgreSQL
// refused inside the stream after the headers had gone (a dropped connection instead of a 400).
const query = z.object({
  after: z.string().regex(/^\d{1,18}$/, 'must be an audit sequence number').optional(),
  from: instantParam('from'),
  to: instantParam('to'),
});

// JSON lines (application/x-ndjson), streamed: `curl -H "authorization: Bearer $KEY" …/api/v1/audit/entries?after=1234`.
export const GET = apiRoute({ permission: 'admin', query }, async ({ db, q }) => {
  const lines = auditLogJsonLines(db, { afterSeq: q.after ? BigInt(q.after) : undefined, from: q.from, to: q.to });
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await lines.next();
      if (done) controller.close();
      else controller.enqueue(encoder.encode(value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return new Response(stream, { headers: { 'content-type': 'application/x-ndjson; charset=utf-8', 'cache-control': 'no-store' } });
});
