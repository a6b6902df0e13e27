// What a simulation is asked with, for the API (and any other caller): the policy (lib/simulate
// policySchema, the one schema rollout plans use too: unknown selectors refused by name), the range
// and how many ranked rows per dimension.
import { z } from 'zod';
import { instantSchema as instant } from '../../domain/instant.ts';
import { policySchema } from '../../simulate/index.ts';
import { MAX_ROW_LIMIT } from './run-simulation.ts';

export const simulationBodySchema = z.strictObject({
  policy: policySchema,
  from: instant('from'),
  to: instant('to'),
  limit: z.number().int().min(1).max(MAX_ROW_LIMIT).optional(),
});

export type SimulationBody = z.infer<typeof simulationBodySchema>;
