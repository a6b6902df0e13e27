import { apiRoute } from '@/lib/http/route.ts';
import { withRevocationState } from '@/lib/revocation/token-revocation-state.ts';
import { LISTERS, listOrExport, TOKEN_EXPORT_COLUMNS } from '@/lib/services/estate/api.ts';
import { TokenQuerySchema, type TokenRow } from '@/lib/services/estate/lists.ts';
import { TokenPageSchema } from '@/lib/services/estate/schemas.ts';

type Row = Awaited<ReturnType<typeof withRevocationState<TokenRow>>>[number];

// Each row also says what Holdfast may claim about it: `state` ("revoked" only once the
// issuer confirmed; "revocation pending" / "revocation in progress" / "revocation failed" otherwise), `revocationState`
// and `revocationId` (the revocation with its legs). Existing fields are unchanged.
const lister = (async (db, f, after, exporting) => {
  const page = await LISTERS.tokens(db, f, after, exporting);
  return { ...page, items: await withRevocationState(db, page.items) };
}) as (...a: Parameters<typeof LISTERS.tokens>) => Promise<{ items: Row[]; nextCursor: string | null }>;

const COLUMNS: (keyof Row & string)[] = [...TOKEN_EXPORT_COLUMNS, 'state', 'revocationState', 'revocationId'];

// Filters, sort, page (limit ≤ 500, after) and format=csv|json: TokenQuerySchema, as the Tokens page
// and `holdfast tokens` read them and /api/v1/openapi.json shows them.
export const GET = apiRoute({ permission: 'read', query: TokenQuerySchema, output: TokenPageSchema }, async ({ db, q }) =>
  listOrExport(db, q, 'tokens', lister, COLUMNS),
);
