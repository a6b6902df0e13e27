import { apiRoute } from '@/lib/http/route.ts';
import { TokenRevocationSchema } from '@/lib/revocation/token-revocation-state.ts';
import { getTokenDetail } from '@/lib/services/estate/details.ts';
import { TokenDetailSchema } from '@/lib/services/estate/schemas.ts';
import { z } from 'zod';

// `token.state` ("revoked" only once the issuer confirmed) and `token.revocation` (its latest
// revocation: pending / failed / confirmed, with the leg's attempts and last error) are added
// to the detail; existing fields are unchanged.
const Output = TokenDetailSchema.extend({
  token: TokenDetailSchema.shape.token.extend({ state: z.string(), revocation: TokenRevocationSchema.nullable() }),
});

export const GET = apiRoute<{ id: string }>({ permission: 'read', output: Output }, async ({ db, params }) => getTokenDetail(db, params.id));
