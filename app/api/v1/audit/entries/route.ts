import { z } from 'zod';
import { auditLogJsonLines } from '@/lib/audit/export-audit-log.ts';
import { apiRoute } from '@/lib/http/route.ts';

const query = z.object({
  after: z.string().regex(/^\d{1,18}$/).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
});

// JSON lines (application/x-ndjson), streamed: `curl -H "authorization: Bearer $KEY" …/api/v1/audit/entries?after=1234`.
export const GET = apiRoute({ permission: 'admin' }, async ({ db, query: sp }) => {
  const q = query.parse(Object.fromEntries(sp));
  const lines = auditLogJsonLines(db, { afterSeq: q.after ? BigInt(q.after) : undefined, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined });
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
