import { apiRoute } from '@/lib/http/route.ts';
import { HopQuerySchema, HopViewSchema, listHopPaths } from '@/lib/services/estate/hops.ts';

// The hop view: per route, client → edge → backend as correlated requests showed it (what each hop
// checked, forwarded or stripped, counts, an example request, the leaking hop). Filters (route,
// source, from, to): HopQuerySchema, as the Hops page reads them.
export const GET = apiRoute({ permission: 'read', query: HopQuerySchema, output: HopViewSchema }, async ({ db, q }) => ({
  paths: await listHopPaths(db, q),
}));
