// /api/v1/plans/{id}/export?format=csv|json|pdf: the plan and its progress as a download.
import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { exportPlan } from '@/lib/services/plans/index.ts';

const query = z.object({ format: z.enum(['csv', 'json', 'pdf'], { error: 'must be one of csv, json, pdf' }) });

export const GET = apiRoute<{ id: string }, undefined, unknown, z.infer<typeof query>>({ permission: 'read', query }, async ({ db, params, q, principal }) => {
  const f = await exportPlan(db, params.id, q.format, principal.label);
  return new Response(typeof f.body === 'string' ? f.body : new Uint8Array(f.body), {
    headers: { 'content-type': f.contentType, 'content-disposition': `attachment; filename="${f.filename}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
});
