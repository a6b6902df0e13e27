import type { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { controlEvidence, ControlsQuerySchema, frameworkOverview } from '@/lib/services/frameworks/index.ts';

// Controls of one framework with status, counts, CSF 1.1 crosswalk and evidence links.
// `?control=ID` adds that control's evidence (top findings, identities, token count).
export const GET = apiRoute<{ id: string }, undefined, unknown, z.infer<typeof ControlsQuerySchema>>({ permission: 'read', query: ControlsQuerySchema }, async ({ db, params, q }) => {
  const range = { from: q.from, to: q.to };
  const overview = await frameworkOverview(db, params.id, range);
  if (!q.control) return overview;
  const evidence = await controlEvidence(db, params.id, q.control, { overview, limit: q.limit });
  return { ...overview, evidence };
});
