import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { retryRevocation } from '@/lib/revocation/revocation-queries.ts';
import { kickRevocationWorker } from '@/lib/server/revocation-worker.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

// No body, or the raw token again for an RFC 7009 leg (sealed into the leg, never stored in clear or echoed).
const body = z.object({ rawToken: z.string().min(1).max(16 * 1024).optional() }).strict();

export const POST = apiRoute<{ id: string }, z.infer<typeof body>>({ permission: 'revoke', body, bodyOptional: true, maxBodyBytes: 64 * 1024 }, async ({ db, params, principal, body }) => {
  const r = await retryRevocation(db, params.id, principal.label, body.rawToken ? { rawToken: body.rawToken, key: getSecretKey() } : undefined);
  kickRevocationWorker();
  return r;
});
