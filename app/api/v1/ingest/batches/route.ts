// GET /api/v1/ingest/batches?limit=N: recent batches with their counts and first errors.
import { z } from 'zod';
import { intParam } from '@/lib/domain/query-params.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { listBatches } from '@/lib/services/ingest/index.ts';

const query = z.object({ limit: intParam(1, 500, 50) });

export const GET = apiRoute({ permission: 'read', query }, async ({ db, q }) => ({ batches: await listBatches(db, q) }));
