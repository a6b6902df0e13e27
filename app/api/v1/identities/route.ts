import { apiRoute } from '@/lib/http/route.ts';
import { IDENTITY_EXPORT_COLUMNS, LISTERS, listOrExport } from '@/lib/services/estate/api.ts';
import { IdentityPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters: kind, status, ownerStatus, q (name/owner contains), sort (risk|name), limit ≤ 500, after; format=csv|json.
export const GET = apiRoute({ permission: 'read', output: IdentityPageSchema }, async ({ db, query }) =>
  listOrExport(db, query, 'identities', LISTERS.identities, IDENTITY_EXPORT_COLUMNS),
);
