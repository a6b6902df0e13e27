import { HoldfastError } from '@/lib/errors.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { testConnector } from '@/lib/revocation/connector-store.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const POST = apiRoute<{ id: string }>({ permission: 'admin' }, async ({ db, params }) => {
  if (!UUID.test(params.id)) throw new HoldfastError('not_found', 'no such connector');
  return testConnector(db, getSecretKey(), params.id);
});
