import { apiRoute } from '@/lib/http/route.ts';
import { viewCache } from '@/lib/http/view-cache.ts';
import { getSummary } from '@/lib/services/summary.ts';

// Estate-wide, the same for every reader: served from the instance's short-lived view cache
// (HOLDFAST_VIEW_CACHE_SECONDS), shared with the Overview page.
export const GET = apiRoute({ permission: 'read' }, async ({ db }) => (await viewCache(db).get('summary', () => getSummary(db))).value);
