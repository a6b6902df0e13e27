import { apiRoute } from '@/lib/http/route.ts';
import { getTokenDetail } from '@/lib/services/estate/details.ts';
import { TokenDetailSchema } from '@/lib/services/estate/schemas.ts';

// `token.state` ("revoked" only once the issuer confirmed) and `token.revocation` (its latest
// revocation: pending / failed / confirmed, with the leg's attempts and last error) are part of
// the detail.
export const GET = apiRoute<{ id: string }>({ permission: 'read', output: TokenDetailSchema }, async ({ db, params }) => getTokenDetail(db, params.id));
