import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { FrameworkRangeQuerySchema, listFrameworkSummaries, saveCustomFramework } from '@/lib/services/frameworks/index.ts';

export const GET = apiRoute({ permission: 'read', query: FrameworkRangeQuerySchema }, async ({ db, q }) => ({ frameworks: await listFrameworkSummaries(db, q) }));

// Admins upload a custom framework (catalog + mapping) as JSON; errors come back per field (422).
export const POST = apiRoute({ permission: 'admin', body: z.unknown(), maxBodyBytes: 4 * 1024 * 1024 }, async ({ db, body, principal }) => {
  const { framework, created } = await saveCustomFramework(db, { document: body, actor: principal.label });
  return Response.json(
    { id: framework.id, name: framework.name, version: framework.version, custom: true, controls: framework.controls.length, mappings: framework.mapping.length, created },
    { status: created ? 201 : 200, headers: { 'cache-control': 'no-store' } },
  );
});
