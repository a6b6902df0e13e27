// The one entry the API, the CLI and the page call: untrusted policy and range in, result out.
import type { Database } from '../../db/open.ts';
import { parsePolicy, type SimulationResult } from '../../simulate/index.ts';
import { runSimulation, toHoldfastError, type RunOptions } from './run-simulation.ts';

export interface SimulateOptions {
  policy: unknown;
  from: Date;
  to: Date;
  limit?: number;
  /** run-simulation.ts RunOptions.engine: `sql` for a process that simulates once. */
  engine?: RunOptions['engine'];
  onEngine?: RunOptions['onEngine'];
}

/** Validates the policy (422 / exit 2 with a one-line reason) and runs the simulation. */
export async function simulate(db: Database, o: SimulateOptions): Promise<SimulationResult> {
  let policy;
  try {
    policy = parsePolicy(o.policy);
  } catch (e) {
    throw toHoldfastError(e);
  }
  return runSimulation(db, { policy, range: { from: o.from, to: o.to }, limit: o.limit }, { engine: o.engine, onEngine: o.onEngine });
}
