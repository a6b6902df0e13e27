import { AuditEntriesQuerySchema, auditLogJsonLines } from '@/lib/audit/export-audit-log.ts';
import { apiRoute } from '@/lib/http/route.ts';

// JSON lines (application/x-ndjson), streamed: `curl -H "authorization: Bearer $KEY" …/api/v1/audit/entries?after=1234`.
export const GET = apiRoute({ permission: 'admin', query: AuditEntriesQuerySchema }, async ({ db, q }) => {
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
