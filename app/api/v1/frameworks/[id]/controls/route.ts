import { apiRoute } from '@/lib/http/route.ts';
import { rangeFromQuery } from '@/lib/domain/instant.ts';
import { controlEvidence, frameworkOverview } from '@/lib/services/frameworks/index.ts';

// Controls of one framework with status, counts, CSF 1.1 crosswalk and evidence links.
// `?control=ID` adds that control's evidence (top findings, identities, token count).
export const GET = apiRoute<{ id: string }>({ permission: 'read' }, async ({ db, params, query }) => {
  const range = rangeFromQuery(query);
  const overview = await frameworkOverview(db, params.id, range);
  const control = query.get('control');
  if (!control) return overview;
  const evidence = await controlEvidence(db, params.id, control, { overview, limit: Number(query.get('limit') ?? 20) || 20 });
  return { ...overview, evidence };
});
