import { z } from 'zod';
import { auditLogJsonLines } from '@/lib/audit/export-audit-log.ts';
import { parseInstant } from '@/lib/http/range.ts';
import { apiRoute } from '@/lib/http/route.ts';

// from / to through parseInstant: zod's datetime() lets year 0000 through, which PostgreSQL refused
// inside the stream after the headers had gone (a dropped connection instead of a 400).
const query = z.object({ after: z.string().regex(/^\d{1,18}$/).optional() });

// JSON lines (application/x-ndjson), streamed: `curl -H "authorization: Bearer $KEY" …/api/v1/audit/entries?after=1234`.
export const GET = apiRoute({ permission: 'admin' }, async ({ db, query: sp }) => {
  const q = query.parse(Object.fromEntries(sp));
  const from = parseInstant('from', sp.get('from')) ?? undefined;
  const to = parseInstant('to', sp.get('to')) ?? undefined;
  const lines = auditLogJsonLines(db, { afterSeq: q.after ? BigInt(q.after) : undefined, from, to });
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
