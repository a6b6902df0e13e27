import { apiRoute } from '@/lib/http/route.ts';
import { getSummary } from '@/lib/services/summary.ts';

export const GET = apiRoute({ permission: 'read' }, async ({ db }) => getSummary(db));
