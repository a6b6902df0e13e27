import { apiRoute } from '@/lib/http/route.ts';
import { withRevocationState } from '@/lib/revocation/token-revocation-state.ts';
import { LISTERS, listOrExport, TOKEN_EXPORT_COLUMNS } from '@/lib/services/estate/api.ts';
import type { TokenRow } from '@/lib/services/estate/lists.ts';
import { TokenPageSchema } from '@/lib/services/estate/schemas.ts';

type Row = Awaited<ReturnType<typeof withRevocationState<TokenRow>>>[number];

// Each row also says what Holdfast may claim about it: `state` ("revoked" only once the
// issuer confirmed; "revocation pending" / "revocation failed" otherwise), `revocationState`
// and `revocationId` (the revocation with its legs). Existing fields are unchanged.
const lister = (async (db, q, after, exporting) => {
  const page = await LISTERS.tokens(db, q, after, exporting);
  return { ...page, items: await withRevocationState(db, page.items) };
}) as (...a: Parameters<typeof LISTERS.tokens>) => Promise<{ items: Row[]; nextCursor: string | null }>;

const COLUMNS: (keyof Row & string)[] = [...TOKEN_EXPORT_COLUMNS, 'state', 'revocationState', 'revocationId'];

// Filters: binding, risk (high|flagged|critical), exposure, status, ttlMin, ttlMax, noExpiry, issuer,
// audience, scope, identity (id or name), sort (risk|id|ttl|expires), limit ≤ 500, after; format=csv|json.
export const GET = apiRoute({ permission: 'read', output: TokenPageSchema }, async ({ db, query }) =>
  listOrExport(db, query, 'tokens', lister, COLUMNS),
);
