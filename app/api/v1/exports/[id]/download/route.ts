import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { apiRoute } from '@/lib/http/route.ts';
import { exportFile } from '@/lib/services/frameworks/index.ts';

// Streams the finished export file (never buffered whole) with its type and a download name.
export const GET = apiRoute<{ id: string }>({ permission: 'export' }, async ({ db, params }) => {
  const f = await exportFile(db, params.id);
  const stream = Readable.toWeb(createReadStream(f.path)) as ReadableStream<Uint8Array>;
  return new Response(stream, {
    headers: {
      'content-type': f.contentType,
      'content-length': String(f.size),
      'content-disposition': `attachment; filename="${f.fileName}"`,
      'x-content-sha256': f.job.sha256 ?? '',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    },
  });
});
