// GET /api/v1/evidence/holds (read): the evidence holds in force, then the latest released.
// POST (admin): place a hold { reason, since? }: from its commit on, retention drops no evidence partition
// until every hold is released (an investigation, a legal hold). 201. Audited.
import { apiRoute } from '@/lib/http/route.ts';
import { HoldChangeSchema, HoldListSchema, PlaceHoldBodySchema } from '@/lib/services/evidence/hold-schemas.ts';
import { listEvidenceHolds, placeEvidenceHold } from '@/lib/services/evidence/holds.ts';

export const GET = apiRoute({ permission: 'read', output: HoldListSchema }, async ({ db }) => {
  const holds = await listEvidenceHolds(async (sql, params) => ({ rows: await db.query(sql, params) }));
  return { holds, inForce: holds.filter((h) => h.releasedAt === null).length };
});

export const POST = apiRoute({ permission: 'admin', body: PlaceHoldBodySchema }, async ({ db, body, principal }) =>
  Response.json(HoldChangeSchema.parse(await placeEvidenceHold(db, { reason: body.reason, since: body.since, actor: principal.label })), { status: 201 }),
);
