// DELETE /api/v1/trust-anchors/{id} (admin): stop judging certificates against this CA (its CRL
// goes with it). Requests already judged keep their verdicts. Audited.
import { apiRoute } from '@/lib/http/route.ts';
import { TrustAnchorRemovedSchema } from '@/lib/services/trust/schemas.ts';
import { removeTrustAnchor } from '@/lib/services/trust/store.ts';

export const DELETE = apiRoute<{ id: string }>({ permission: 'admin', output: TrustAnchorRemovedSchema }, async ({ db, params, principal }) =>
  removeTrustAnchor(db, { id: params.id, actor: principal.label }),
);
