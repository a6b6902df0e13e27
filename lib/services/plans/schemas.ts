// What a plan is created from, validated once for the API (and any other caller): the simulation
// policy (lib/simulate policySchema, the simulation's own schema: every selector it has, unknown
// ones refused by name, in its words), its time range, a name and declared exceptions.
import { z } from 'zod';
import { instantSchema as instant } from '../../domain/instant.ts';
import { intParam } from '../../domain/query-params.ts';
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

// Query strings of the plan routes: the routes parse with these and the OpenAPI document shows them.

export const planListQuerySchema = z.object({ limit: intParam(1, 200, 100).describe('at most this many (default 100)') });

export const planExportQuerySchema = z.object({
  format: z.enum(['csv', 'json', 'pdf'], { error: 'must be one of csv, json, pdf' }).describe('csv, json or pdf'),
});

const configText = (what: string) => z.string().min(1).max(1024).optional().describe(what);

/** A wave's configuration: the gateway's (with what to fill in) or the authorization server's; the route asks for exactly one of the two. */
export const waveConfigQuerySchema = z.object({
  gateway: z.enum(['nginx', 'haproxy'], { error: 'must be nginx or haproxy' }).optional().describe('nginx or haproxy'),
  authorizationServer: z.enum(['oidc-provider', 'keycloak'], { error: 'must be oidc-provider or keycloak' }).optional().describe('oidc-provider or keycloak'),
  mode: z.enum(['enforce', 'report_only'], { error: 'must be enforce or report_only' }).optional().describe('enforce (default) or report_only'),
  upstream: configText('where passing requests go, e.g. http://10.0.0.5:8080'),
  logPath: configText('the access log Holdfast ingests (absolute path)'),
  listen: configText('NGINX listen / HAProxy bind ([host:]port)'),
  njsDir: configText('NGINX njs module directory'),
  certificate: configText('server certificate path'),
  certificateKey: configText('server key path'),
  clientCa: configText('client CA bundle path'),
  crl: configText('CRL path'),
});
