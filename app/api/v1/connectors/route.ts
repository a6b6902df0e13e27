import { apiRoute } from '@/lib/http/route.ts';
import { createConnector, createConnectorInput, listConnectors } from '@/lib/revocation/connector-store.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

// Secrets go in, never come out: the listing shows `hasSecrets` only.
export const GET = apiRoute({ permission: 'admin' }, async ({ db }) => ({ connectors: await listConnectors(db) }));

export const POST = apiRoute({ permission: 'admin', body: createConnectorInput, maxBodyBytes: 64 * 1024 }, async ({ db, body, principal }) => {
  const c = await createConnector(db, getSecretKey(), body, principal.label);
  return Response.json(c, { status: 201, headers: { 'cache-control': 'no-store' } });
});
