import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { requestRevocation } from '@/lib/revocation/request-revocation.ts';
import { getRevocation, listRevocations, RevocationListQuerySchema } from '@/lib/revocation/revocation-queries.ts';
import { kickRevocationWorker } from '@/lib/server/revocation-worker.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

const body = z
  .object({
    tokenIds: z.array(z.string().uuid()).max(5000).default([]),
    certificateIds: z.array(z.string().uuid()).max(5000).default([]),
    withCertificate: z.boolean().default(false),
    reason: z.string().trim().min(1, 'a reason is required').max(500),
    // Only for an RFC 7009 peer; sealed into the leg, never stored in clear or echoed.
    rawToken: z.string().min(1).max(16 * 1024).optional(),
  })
  .refine((b) => b.tokenIds.length + b.certificateIds.length > 0, 'name at least one token or certificate');

export const GET = apiRoute({ permission: 'read', query: RevocationListQuerySchema }, async ({ db, q }) => listRevocations(db, q));

export const POST = apiRoute({ permission: 'revoke', body, maxBodyBytes: 512 * 1024 }, async ({ db, body, principal }) => {
  const r = await requestRevocation(db, getSecretKey(), { ...body, actor: principal.label });
  kickRevocationWorker();
  return Response.json(await getRevocation(db, r.id), { status: 202, headers: { 'cache-control': 'no-store', location: `/api/v1/revocations/${r.id}` } });
});
