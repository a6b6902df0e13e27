// What a plan is created from, validated once for the API (and any other caller): the simulation
// policy, its time range, a name and declared exceptions. Unknown selectors are refused by name.
import { z } from 'zod';
import { instantSchema as instant } from '../../domain/instant.ts';

/** `host/path`, `host` or `/path`: what lib/enforcement can scope a gateway configuration to. */
const ROUTE_PREFIX = /^(?:(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*)?(?:\/[A-Za-z0-9._~!$&'()*+,=:@%/-]{0,255})?$/;

export const planPolicySchema = z.strictObject({
  require: z.enum(['mtls', 'dpop', 'bound'], { error: 'must be one of mtls, dpop, bound' }),
  maxTtlSeconds: z.number().int().positive().max(31_536_000).nullish(),
  scope: z.strictObject({
    gateway: z.string().min(1).max(300).nullish(),
    routePrefix: z.string().min(1).max(300).regex(ROUTE_PREFIX, 'must be host/path, host or /path (no spaces or quotes)').nullish(),
    identity: z.strictObject({
      kind: z.enum(['service', 'pipeline', 'agent', 'partner', 'workload'], { error: 'must be one of service, pipeline, agent, partner, workload' }).nullish(),
      nameGlob: z.string().min(1).max(200).nullish(),
    }).nullish(),
  }).nullish(),
});

export const exceptionSchema = z.strictObject({
  identity: z.string().min(1).max(200),
  reason: z.string().min(1).max(500),
  owner: z.string().max(200).nullish(),
  expiresAt: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD').nullish(),
});

export const createPlanSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  policy: planPolicySchema,
  from: instant('from'),
  to: instant('to'),
  exceptions: z.array(exceptionSchema).max(500).optional(),
});

export type CreatePlanBody = z.infer<typeof createPlanSchema>;
