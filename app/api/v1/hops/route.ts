import { apiRoute } from '@/lib/http/route.ts';
import { HopViewSchema, listHopPaths, parseHopFilters } from '@/lib/services/estate/hops.ts';

// The hop view: per route, client → edge → backend as correlated requests showed it (what each hop
// checked, forwarded or stripped, counts, an example request, the leaking hop). Filters: route
// (exact `host /prefix`, or a path prefix), source (a hop's source name), from, to (ISO 8601).
export const GET = apiRoute({ permission: 'read', output: HopViewSchema }, async ({ db, query }) => ({
  paths: await listHopPaths(db, parseHopFilters(query)),
}));
