import { apiRoute } from '@/lib/http/route.ts';
import { getIdentityDetail } from '@/lib/services/estate/details.ts';
import { IdentityDetailSchema } from '@/lib/services/estate/schemas.ts';

export const GET = apiRoute<{ id: string }>({ permission: 'read', output: IdentityDetailSchema }, async ({ db, params }) => getIdentityDetail(db, params.id));
