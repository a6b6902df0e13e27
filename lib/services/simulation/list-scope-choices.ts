// What the Simulate page offers to scope a policy to: the named ingest sources and the gateway
// names the evidence holds (the service refuses any other gateway or source by name).
import type { Database } from '../../db/open.ts';
import { DIM } from '../evidence/dims.ts';

/** More than this many gateways are typed, not picked from a list. */
const MAX_GATEWAYS = 200;

export async function listScopeChoices(db: Database): Promise<{ sources: string[]; gateways: string[] }> {
  const [sources, gateways] = await Promise.all([
    db.query<{ name: string }>(`SELECT name FROM "Source" ORDER BY name`),
    db.query<{ value: string }>(`SELECT value FROM evidence."Dim" WHERE kind = $1 ORDER BY value LIMIT ${MAX_GATEWAYS}`, [DIM.gateway]),
  ]);
  return { sources: sources.map((r) => r.name), gateways: gateways.map((r) => r.value) };
}
