import { apiRoute } from '@/lib/http/route.ts';
import { IDENTITY_EXPORT_COLUMNS, LISTERS, listOrExport } from '@/lib/services/estate/api.ts';
import { IdentityQuerySchema } from '@/lib/services/estate/lists.ts';
import { IdentityPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters, sort, page (limit ≤ 500, after) and format=csv|json: IdentityQuerySchema, as the
// Identities page reads them and /api/v1/openapi.json shows them.
export const GET = apiRoute({ permission: 'read', query: IdentityQuerySchema, output: IdentityPageSchema }, async ({ db, q }) =>
  listOrExport(db, q, 'identities', LISTERS.identities, IDENTITY_EXPORT_COLUMNS),
);
