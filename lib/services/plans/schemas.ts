// What a plan is created from, validated once for the API (and any other caller): the simulation
// policy (lib/simulate policySchema, the simulation's own schema: every selector it has, unknown
// ones refused by name, in its words), its time range, a name and declared exceptions.
import { z } from 'zod';
import { instantSchema as instant } from '../../domain/instant.ts';
import { policySchema } from '../../simulate/index.ts';

export const exceptionSchema = z.strictObject({
  identity: z.string().min(1).max(200),
  reason: z.string().min(1).max(500),
  owner: z.string().max(200).nullish(),
  expiresAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').nullish(),
});

export const createPlanSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  policy: policySchema,
  from: instant('from'),
  to: instant('to'),
  exceptions: z.array(exceptionSchema).max(500).optional(),
});

export type CreatePlanBody = z.infer<typeof createPlanSchema>;
