import { apiRoute } from '@/lib/http/route.ts';
import { getExportJob } from '@/lib/services/frameworks/index.ts';

export const GET = apiRoute<{ id: string }>({ permission: 'export' }, async ({ db, params }) => getExportJob(db, params.id));
