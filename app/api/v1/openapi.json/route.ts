import { apiRoute } from '@/lib/http/route.ts';
import { buildOpenApi } from '@/lib/services/estate/openapi.ts';

// Public: the document describes the interface and holds no data.
let doc: Record<string, unknown> | undefined;
export const GET = apiRoute({ permission: 'public' }, async () => (doc ??= buildOpenApi()));
