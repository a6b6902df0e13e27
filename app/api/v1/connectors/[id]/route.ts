import { HoldfastError } from '@/lib/errors.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { deleteConnector, updateConnector, updateConnectorInput, type UpdateConnectorInput } from '@/lib/revocation/connector-store.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';
import { isUuid } from '@/lib/domain/uuid.ts';

const known = (id: string) => {
  if (!isUuid(id)) throw new HoldfastError('not_found', 'no such connector');
  return id;
};

// Edit (name, issuer/CA served, config; secrets only when sent, sealed again, never echoed:
// the answer shows `hasSecrets` only) and delete. Both audited.
export const PATCH = apiRoute<{ id: string }, UpdateConnectorInput>({ permission: 'admin', body: updateConnectorInput, maxBodyBytes: 64 * 1024 }, async ({ db, params, body, principal }) =>
  updateConnector(db, getSecretKey(), known(params.id), body, principal.label),
);

export const DELETE = apiRoute<{ id: string }>({ permission: 'admin' }, async ({ db, params, principal }) => ({
  deleted: await deleteConnector(db, known(params.id), principal.label),
}));
