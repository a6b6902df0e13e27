import { apiRoute } from '@/lib/http/route.ts';
import { getTokenDetail } from '@/lib/services/estate/details.ts';
import { TokenDetailSchema } from '@/lib/services/estate/schemas.ts';

export const GET = apiRoute<{ id: string }>({ permission: 'read', output: TokenDetailSchema }, async ({ db, params }) => getTokenDetail(db, params.id));
