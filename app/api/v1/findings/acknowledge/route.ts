import { apiRoute } from '@/lib/http/route.ts';
import { AcknowledgeBodySchema, AcknowledgeResultSchema } from '@/lib/services/estate/schemas.ts';
import { acknowledgeFindings } from '@/lib/services/findings/index.ts';

// Permission `read`: analysts triage the queue. Acknowledging changes no credential; it records
// who accepted which risk, why and until when (FindingHistory + audit), and expires on its own.
export const POST = apiRoute(
  { permission: 'read', body: AcknowledgeBodySchema, output: AcknowledgeResultSchema, maxBodyBytes: 128 * 1024 },
  async ({ db, body, principal }) => acknowledgeFindings(db, { ids: body.ids, reason: body.reason, until: new Date(body.until), actor: principal.label }),
);
