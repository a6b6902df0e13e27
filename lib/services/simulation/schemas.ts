// What a simulation is asked with, for the API (and any other caller): the policy (checked by
// lib/simulate parsePolicy, whose one-line reasons the problem body carries as its detail), the
// range and how many ranked rows per dimension.
import { z } from 'zod';
import { instantSchema as instant } from '../../domain/instant.ts';
import { MAX_ROW_LIMIT } from './run-simulation.ts';

export const simulationBodySchema = z.strictObject({
  /** Checked field by field by parsePolicy (unknown selectors are refused by name). */
  policy: z.record(z.string(), z.unknown(), { error: 'must be an object with require (mtls, dpop or bound)' }),
  from: instant('from'),
  to: instant('to'),
  limit: z.number().int().min(1).max(MAX_ROW_LIMIT).optional(),
});

export type SimulationBody = z.infer<typeof simulationBodySchema>;
