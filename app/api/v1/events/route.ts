import { apiRoute } from '@/lib/http/route.ts';
import { EVENT_EXPORT_COLUMNS, LISTERS, listOrExport } from '@/lib/services/estate/api.ts';
import { EventQuerySchema } from '@/lib/services/estate/lists.ts';
import { EventPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters, page (limit ≤ 500, after) and format=csv|json: EventQuerySchema, as the Binding failures
// page and `holdfast events` read them and /api/v1/openapi.json shows them. Newest first. Never
// redactedRaw.
export const GET = apiRoute({ permission: 'read', query: EventQuerySchema, output: EventPageSchema }, async ({ db, q }) =>
  listOrExport(db, q, 'events', LISTERS.events, EVENT_EXPORT_COLUMNS),
);
