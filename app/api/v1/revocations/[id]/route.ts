import { apiRoute } from '@/lib/http/route.ts';
import { getRevocation } from '@/lib/revocation/revocation-queries.ts';

export const GET = apiRoute<{ id: string }>({ permission: 'read' }, async ({ db, params }) => getRevocation(db, params.id));
