import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { loadPolicy, savePolicy } from '@/lib/services/findings/index.ts';

// The risk policy (what counts as privileged, TTL limits, thresholds): anyone who reads findings
// may read it; changing it is admin, validated (422 with one error per bad value), audited, and
// followed by a re-evaluation of every rule with the new policy.
export const GET = apiRoute({ permission: 'read' }, async ({ db }) => ({ policy: await loadPolicy(db) }));

export const PUT = apiRoute(
  { permission: 'admin', body: z.object({ policy: z.unknown() }), maxBodyBytes: 256 * 1024 },
  async ({ db, body, principal }) => {
    const r = await savePolicy(db, { policy: body.policy ?? {}, actor: principal.label });
    return { policy: r.policy, evaluation: r.evaluation };
  },
);
