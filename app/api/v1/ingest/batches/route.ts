// GET /api/v1/ingest/batches?limit=N: recent batches with their counts and first errors.
import { apiRoute } from '@/lib/http/route.ts';
import { listBatches } from '@/lib/services/ingest/index.ts';

export const GET = apiRoute({ permission: 'read' }, async ({ db, query }) => {
  const n = Number(query.get('limit') ?? 50);
  const limit = Number.isInteger(n) && n > 0 ? Math.min(n, 500) : 50;
  return { batches: await listBatches(db, { limit }) };
});
