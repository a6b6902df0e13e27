import { apiRoute } from '@/lib/http/route.ts';
import { FINDING_EXPORT_COLUMNS, LISTERS, listOrExport } from '@/lib/services/estate/api.ts';
import { FindingQuerySchema } from '@/lib/services/estate/lists.ts';
import { FindingPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters, page (limit ≤ 500, after) and format=csv|json: FindingQuerySchema, as the Findings page
// and `holdfast findings` read them and /api/v1/openapi.json shows them. Sorted by severity, then
// blast radius, then recency.
export const GET = apiRoute({ permission: 'read', query: FindingQuerySchema, output: FindingPageSchema }, async ({ db, q }) =>
  listOrExport(db, q, 'findings', LISTERS.findings, FINDING_EXPORT_COLUMNS),
);
