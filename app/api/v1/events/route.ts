import { apiRoute } from '@/lib/http/route.ts';
import { EVENT_EXPORT_COLUMNS, LISTERS, listOrExport } from '@/lib/services/estate/api.ts';
import { EventPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters: requestId (or request-id), verdict, failures (binding|any), identity, token, gateway, reason,
// from, to (ISO 8601), limit ≤ 500, after; format=csv|json. Newest first. Never redactedRaw.
export const GET = apiRoute({ permission: 'read', output: EventPageSchema }, async ({ db, query }) =>
  listOrExport(db, query, 'events', LISTERS.events, EVENT_EXPORT_COLUMNS),
);
