import { apiRoute } from '@/lib/http/route.ts';
import { FINDING_EXPORT_COLUMNS, LISTERS, listOrExport } from '@/lib/services/estate/api.ts';
import { FindingPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters: rule, severity, status (open|acknowledged|resolved|all; default open), identity, token, limit ≤ 500,
// after; format=csv|json. Sorted by severity, then blast radius, then recency.
export const GET = apiRoute({ permission: 'read', output: FindingPageSchema }, async ({ db, query }) =>
  listOrExport(db, query, 'findings', LISTERS.findings, FINDING_EXPORT_COLUMNS),
);
