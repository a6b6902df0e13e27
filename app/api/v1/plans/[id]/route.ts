// /api/v1/plans/{id}: the saved plan (waves, identities, volumes, configuration steps, controls)
// with its progress: the plan's policy re-run over the evidence since it was saved, per wave, in
// total and per day.
import { apiRoute } from '@/lib/http/route.ts';
import { getPlan } from '@/lib/services/plans/index.ts';

export const GET = apiRoute<{ id: string }>({ permission: 'read' }, async ({ db, params }) => getPlan(db, params.id));
