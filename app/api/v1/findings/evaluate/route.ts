import { apiRoute } from '@/lib/http/route.ts';
import { EvaluateResultSchema } from '@/lib/services/estate/schemas.ts';
import { evaluateFindings } from '@/lib/services/findings/index.ts';

// Re-evaluates every rule over the whole estate now (normally done after each ingest batch).
export const POST = apiRoute({ permission: 'admin', output: EvaluateResultSchema, maxBodyBytes: 1024 }, async ({ db, principal }) =>
  evaluateFindings(db, { actor: principal.label }),
);
