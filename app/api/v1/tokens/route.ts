import { apiRoute } from '@/lib/http/route.ts';
import { LISTERS, listOrExport, TOKEN_EXPORT_COLUMNS } from '@/lib/services/estate/api.ts';
import { TokenPageSchema } from '@/lib/services/estate/schemas.ts';

// Filters: binding, risk (high|flagged|critical), exposure, status, ttlMin, ttlMax, noExpiry, issuer,
// audience, scope, identity (id or name), sort (risk|id|ttl|expires), limit ≤ 500, after; format=csv|json.
export const GET = apiRoute({ permission: 'read', output: TokenPageSchema }, async ({ db, query }) =>
  listOrExport(db, query, 'tokens', LISTERS.tokens, TOKEN_EXPORT_COLUMNS),
);
