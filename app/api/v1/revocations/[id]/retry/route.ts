import { apiRoute } from '@/lib/http/route.ts';
import { retryRevocation } from '@/lib/revocation/revocation-queries.ts';
import { kickRevocationWorker } from '@/lib/server/revocation-worker.ts';

export const POST = apiRoute<{ id: string }>({ permission: 'revoke' }, async ({ db, params, principal }) => {
  const r = await retryRevocation(db, params.id, principal.label);
  kickRevocationWorker();
  return r;
});
