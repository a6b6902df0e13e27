// POST /api/v1/evidence/holds/{id}/release (admin): release a hold. An action on the hold, not a
// DELETE: it stays listed as released, by whom and when. Retention resumes at the next maintenance
// run once no hold is in force. Releasing a released hold changes nothing (alreadyReleased). Audited.
import { apiRoute } from '@/lib/http/route.ts';
import { HoldChangeSchema } from '@/lib/services/evidence/hold-schemas.ts';
import { releaseEvidenceHold } from '@/lib/services/evidence/holds.ts';

export const POST = apiRoute<{ id: string }>({ permission: 'admin', output: HoldChangeSchema }, async ({ db, params, principal }) =>
  releaseEvidenceHold(db, { id: params.id, actor: principal.label }),
);
