// GET /api/v1/sources/log-formats (read): the sources that keep a log format (gateway and format
// name, never the configuration), for the upload page's choice of source.
import { apiRoute } from '@/lib/http/route.ts';
import { listSourceLogFormats } from '@/lib/services/ingest/log-formats.ts';

export const GET = apiRoute({ permission: 'read' }, async ({ db }) => ({ logFormats: await listSourceLogFormats(db) }));
