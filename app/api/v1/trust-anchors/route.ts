// GET /api/v1/trust-anchors (read): the CAs Holdfast judges client certificates against, each
// with its CRL's state (number, dates, entries, stale) and warnings.
// POST (admin): add a CA — PEM or base64 DER — and optionally its CRL, verified against the CA;
// 201 when the CA is new, 200 when it was already an anchor. Audited.
import { apiRoute } from '@/lib/http/route.ts';
import { AddTrustAnchorBodySchema, fileBytes, TrustAddResultSchema, TrustAnchorListSchema } from '@/lib/services/trust/schemas.ts';
import { addTrustAnchor, listTrustAnchors } from '@/lib/services/trust/store.ts';

export const GET = apiRoute({ permission: 'read', output: TrustAnchorListSchema }, async ({ db }) => ({ trustAnchors: await listTrustAnchors(db) }));

export const POST = apiRoute({ permission: 'admin', body: AddTrustAnchorBodySchema, maxBodyBytes: 9 * 1024 * 1024 }, async ({ db, body, principal }) => {
  const r = TrustAddResultSchema.parse(
    await addTrustAnchor(db, { ca: fileBytes(body.ca, 'ca'), crl: body.crl ? fileBytes(body.crl, 'crl') : null, actor: principal.label }),
  );
  return Response.json(r, { status: r.created ? 201 : 200 });
});
