// Tests: a simulation answered from the usage columns in memory (the default engine) must equal the
// SQL statements' answer (engine 'sql', the reference) on the same database, field for field.
import { expect } from 'vitest';
import type { Database } from '../db/open.ts';
import { runSimulation } from '../services/simulation/index.ts';
import type { ImpactRow, SimulationInput, SimulationResult } from '../simulate/index.ts';

/** Rows in ranked order; runs of rows the ranking ties on exactly (same figures and name) in one canonical order. */
function canonical<T extends ImpactRow>(rows: T[]): T[] {
  const key = (r: T) => JSON.stringify([r.wouldBeRefused, r.legitimateBroken, r.total, r.name]);
  const out: T[] = [];
  for (let i = 0; i < rows.length; ) {
    let j = i + 1;
    while (j < rows.length && key(rows[j]!) === key(rows[i]!)) j++;
    out.push(...rows.slice(i, j).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
    i = j;
  }
  return out;
}

export function comparable(r: SimulationResult): SimulationResult {
  return { ...r, tookMs: 0, identities: canonical(r.identities), tokens: canonical(r.tokens), networks: canonical(r.networks), routes: canonical(r.routes) };
}

/** Runs the simulation on both engines and expects the same answer; returns the columns' answer. */
export async function expectColumnsEqualSql(db: Database, input: SimulationInput): Promise<SimulationResult> {
  const columns = await runSimulation(db, input, { engine: 'columns' });
  const sql = await runSimulation(db, input, { engine: 'sql' });
  expect(comparable(columns)).toEqual(comparable(sql));
  return columns;
}
