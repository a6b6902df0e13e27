// POST /api/v1/trust-anchors/{id}/crl (admin): add or replace the anchor's CRL. Refused with 422
// when the CRL is not the CA's (issuer, signature, delta or indirect CRL), 409 when it is older
// than the one Holdfast has (a lower CRL number, or no later thisUpdate). Audited.
import { apiRoute } from '@/lib/http/route.ts';
import { AddCrlBodySchema, fileBytes, TrustAddResultSchema } from '@/lib/services/trust/schemas.ts';
import { addCrl } from '@/lib/services/trust/store.ts';

export const POST = apiRoute<{ id: string }, { crl: string }>(
  { permission: 'admin', body: AddCrlBodySchema, output: TrustAddResultSchema, maxBodyBytes: 9 * 1024 * 1024 },
  async ({ db, params, body, principal }) => addCrl(db, { anchorId: params.id, crl: fileBytes(body.crl, 'crl'), actor: principal.label }),
);
