// POST /api/v1/simulations: what would an enforcement policy refuse over a time range of stored
// evidence (issue #17 item 1)? Read-only: nothing is saved, so the read permission suffices.
import { apiRoute } from '@/lib/http/route.ts';
import { simulate, simulationBodySchema, type SimulationBody } from '@/lib/services/simulation/index.ts';

export const POST = apiRoute<Record<string, string>, SimulationBody>({ permission: 'read', body: simulationBodySchema, keepViewCache: true }, async ({ db, body }) => {
  let engine = 'sql';
  const result = await simulate(db, { policy: body.policy, from: body.from, to: body.to, limit: body.limit, onEngine: (e) => (engine = e) });
  // Which engine answered (the usage columns in memory, or the SQL statements) and how long it took: for operators, not the contract.
  return Response.json(result, { headers: { 'cache-control': 'no-store', 'server-timing': `simulate;desc="${engine}";dur=${result.tookMs}` } });
});
