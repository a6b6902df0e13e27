// /api/v1/plans/{id}/export?format=csv|json|pdf: the plan and its progress as a download.
import type { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { exportPlan, planExportQuerySchema } from '@/lib/services/plans/index.ts';

export const GET = apiRoute<{ id: string }, undefined, unknown, z.infer<typeof planExportQuerySchema>>({ permission: 'read', query: planExportQuerySchema }, async ({ db, params, q, principal }) => {
  const f = await exportPlan(db, params.id, q.format, principal.label);
  return new Response(typeof f.body === 'string' ? f.body : new Uint8Array(f.body), {
    headers: { 'content-type': f.contentType, 'content-disposition': `attachment; filename="${f.filename}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
});
