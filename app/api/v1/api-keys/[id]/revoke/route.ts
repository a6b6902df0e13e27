// POST /api/v1/api-keys/{id}/revoke (admin): shut a key off. An action on the key, not a DELETE:
// the key stays listed as revoked, with when, for the record (as /revocations/{id}/retry and
// /connectors/{id}/test act on theirs). Every instance refuses the key from the next request on.
import { RevokedApiKeySchema } from '@/lib/auth/access-schemas.ts';
import { revokeApiKey } from '@/lib/auth/api-keys.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const POST = apiRoute<{ id: string }>({ permission: 'admin', output: RevokedApiKeySchema }, async ({ db, params, principal }) =>
  revokeApiKey(db, params.id, principal.label),
);
