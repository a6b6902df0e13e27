import { z } from 'zod';
import { createApiKey, DPOP_JKT_PATTERN } from '@/lib/auth/api-keys.ts';
import { ROLES } from '@/lib/domain/types.ts';
import { apiRoute } from '@/lib/http/route.ts';

const body = z.object({
  name: z.string().min(1).max(100),
  role: z.enum(ROLES as [string, ...string[]]),
  scopes: z.array(z.literal('ingest')).max(1).default([]),
  // Bind the key to a DPoP public key: it is then accepted only as `Authorization: DPoP` + proof.
  dpopJkt: z.string().regex(DPOP_JKT_PATTERN, 'must be a JWK SHA-256 thumbprint (43 base64url characters)').optional(),
});
// The listing never carries the key or its hash: a display stub only.
const keyOut = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  scopes: z.array(z.string()),
  displayStub: z.string(),
  dpopJkt: z.string().nullable(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  revokedAt: z.date().nullable(),
});

export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => {
  const rows = await db.prisma.apiKey.findMany({ orderBy: { createdAt: 'desc' } });
  return { apiKeys: keyOut.array().parse(rows) };
});

export const POST = apiRoute({ permission: 'admin', body, maxBodyBytes: 8 * 1024 }, async ({ db, body, principal }) => {
  const key = await createApiKey(db, {
    name: body.name,
    role: body.role as (typeof ROLES)[number],
    scopes: body.scopes,
    dpopJkt: body.dpopJkt ?? null,
    createdById: principal.kind === 'user' ? principal.id : null,
    actor: principal.label,
  });
  return Response.json(key, { status: 201, headers: { 'cache-control': 'no-store' } });
});
