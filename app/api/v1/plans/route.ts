// /api/v1/plans: saved staged rollout plans (issue #17 item 2). POST builds one from a simulation
// policy and a time range over the stored evidence and saves it (audited); GET lists them.
import { apiRoute } from '@/lib/http/route.ts';
import { createPlan, createPlanSchema, listPlans, planListQuerySchema, type CreatePlanBody } from '@/lib/services/plans/index.ts';

export const GET = apiRoute({ permission: 'read', query: planListQuerySchema }, async ({ db, q }) => ({ items: await listPlans(db, { limit: q.limit }) }));

export const POST = apiRoute<Record<string, string>, CreatePlanBody>({ permission: 'read', body: createPlanSchema }, async ({ db, body, principal }) => {
  const saved = await createPlan(db, { name: body.name, policy: body.policy, from: body.from, to: body.to, exceptions: body.exceptions, actor: principal.label });
  return Response.json(saved, { status: 201, headers: { 'cache-control': 'no-store', location: `/api/v1/plans/${saved.id}` } });
});
