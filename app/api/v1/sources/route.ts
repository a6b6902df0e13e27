// GET/POST /api/v1/sources (admin): named ingest sources, each with its own API key (ingest
// scope, bound to the source), last seen and volumes. The key is returned once, at creation.
import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { createSource, listSources } from '@/lib/services/ingest/index.ts';

const body = z.object({
  name: z.string().min(1).max(100),
  format: z.string().max(40).nullish(),
  description: z.string().max(500).nullish(),
  // CIDRs of the proxies that may forward a client certificate (see ./[name]/trusted-proxies): a
  // list, or the text an admin typed (comma- or space-separated).
  trustedProxies: z.union([z.string().max(4000), z.array(z.string().max(100)).max(100)]).nullish(),
});

export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => ({ sources: await listSources(db) }));

export const POST = apiRoute({ permission: 'admin', body, maxBodyBytes: 8 * 1024 }, async ({ db, body, principal }) => {
  const created = await createSource(db, {
    name: body.name,
    format: body.format ?? null,
    description: body.description ?? null,
    trustedProxies: [body.trustedProxies ?? []].flat(),
    actor: principal.label,
    createdById: principal.kind === 'user' ? principal.id : null,
  });
  return Response.json(created, { status: 201, headers: { 'cache-control': 'no-store' } });
});
