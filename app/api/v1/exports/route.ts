import { z } from 'zod';
import { loadConfig } from '@/lib/config.ts';
import { instantSchema } from '@/lib/domain/instant.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { listExportJobs, startExport } from '@/lib/services/frameworks/index.ts';
import path from 'node:path';

const body = z.strictObject({
  framework: z.string().min(1).max(100),
  format: z.enum(['csv', 'json', 'oscal', 'pdf'], { error: 'must be one of csv, json, oscal, pdf' }),
  from: instantSchema('from').optional(),
  to: instantSchema('to').optional(),
});

export const GET = apiRoute({ permission: 'export' }, async ({ db }) => ({ exports: await listExportJobs(db) }));

// Starts an export job; small exports finish within the inline wait and come back done (201),
// larger ones come back queued/running (202): poll GET /api/v1/exports/:id.
export const POST = apiRoute({ permission: 'export', body, maxBodyBytes: 4096 }, async ({ db, body, principal }) => {
  const job = await startExport(
    db,
    { framework: body.framework, format: body.format, from: body.from ?? null, to: body.to ?? null, actor: principal.label },
    { exportsDir: path.join(loadConfig().dataDir, 'exports'), inlineWaitMs: 3000 },
  );
  return Response.json(job, { status: job.state === 'done' ? 201 : 202, headers: { 'cache-control': 'no-store', location: `/api/v1/exports/${job.id}` } });
});
