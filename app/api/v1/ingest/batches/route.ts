// GET /api/v1/ingest/batches?limit=N: recent batches with their counts and first errors.
import { apiRoute } from '@/lib/http/route.ts';
import { BatchListQuerySchema } from '@/lib/services/ingest/ingest-query.ts';
import { listBatches } from '@/lib/services/ingest/index.ts';

export const GET = apiRoute({ permission: 'read', query: BatchListQuerySchema }, async ({ db, q }) => ({ batches: await listBatches(db, q) }));
