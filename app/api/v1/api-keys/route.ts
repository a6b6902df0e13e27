// GET/POST /api/v1/api-keys (admin): the key list (display stubs only, revoked keys included)
// and key creation (the key is returned once). Revoking: POST /api/v1/api-keys/{id}/revoke.
import { ApiKeyOutSchema, CreateApiKeyBodySchema } from '@/lib/auth/access-schemas.ts';
import { createApiKey, listApiKeys } from '@/lib/auth/api-keys.ts';
import type { Role } from '@/lib/domain/types.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => ({ apiKeys: ApiKeyOutSchema.array().parse(await listApiKeys(db)) }));

export const POST = apiRoute({ permission: 'admin', body: CreateApiKeyBodySchema, maxBodyBytes: 8 * 1024 }, async ({ db, body, principal }) => {
  const key = await createApiKey(db, {
    name: body.name,
    role: body.role as Role,
    scopes: body.scopes,
    dpopJkt: body.dpopJkt ?? null,
    createdById: principal.kind === 'user' ? principal.id : null,
    actor: principal.label,
  });
  return Response.json(key, { status: 201, headers: { 'cache-control': 'no-store' } });
});
