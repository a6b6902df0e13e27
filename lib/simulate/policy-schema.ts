// The one schema of an enforcement policy (what to require, and where), for a simulation and for a
// rollout plan built from one: the API bodies of POST /api/v1/simulations and POST /api/v1/plans
// use it, and parsePolicy (CLI flags, the Simulate page's URL, the services) reads untrusted input
// through it. Unknown selectors are refused by name; messages that start with "must" are said of
// the field the issue's path names ("scope.routePrefix must be …"), the others are whole sentences.
import { z } from 'zod';
import { IDENTITY_KINDS } from '../domain/types.ts';
import { REQUIREMENTS, type Requirement } from './types.ts';

/** Longest TTL limit: a year. */
export const MAX_TTL_SECONDS = 31_536_000;
export const POLICY_KEYS = ['require', 'maxTtlSeconds', 'scope'] as const;
export const SCOPE_KEYS = ['gateway', 'source', 'routePrefix', 'identity', 'audience'] as const;
export const IDENTITY_KEYS = ['kind', 'nameGlob', 'privileged'] as const;
/** `host/path`, `host` or `/path` (what lib/enforcement can scope a gateway to). */
const ROUTE_PREFIX = /^(?:(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*(?::\d{1,5})?)?(?:\/[A-Za-z0-9._~!$&'()*+,=:@%/-]{0,255})?$/;
export const ROUTE_PREFIX_MESSAGE = 'must be host/path, host or /path (no spaces or quotes)';
/** Whether a text is a route prefix a policy may scope to. */
export const isRoutePrefix = (v: string): boolean => ROUTE_PREFIX.test(v);
export const CONFLICTING_REQUIREMENTS = 'conflicting requirements: a token is bound to a certificate or to a DPoP key, not both; require mtls, dpop or bound (either)';

const TTL_MESSAGE = `must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`;
const shown = (v: unknown) => JSON.stringify(v)?.slice(0, 40) ?? 'nothing';

/** A strict object whose unknown member is refused by name (`where` is its place in the policy). */
function strict<S extends z.ZodRawShape>(shape: S, where: string, known: readonly string[], notObject: string) {
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? `unknown selector ${where}${String(iss.keys[0]).slice(0, 40)} (known: ${known.join(', ')})` : notObject),
  });
}

/** A selector's text: not empty, at most `max` characters, no control characters; trimmed. */
function text(max: number) {
  const message = `must be a non-empty text of at most ${max} characters`;
  return z.string({ error: message }).max(max, { error: message }).refine((v) => ![...v].some((c) => c.charCodeAt(0) < 32), { error: message }).trim().min(1, { error: message }).nullish();
}

const requirement = z.enum(REQUIREMENTS as readonly [Requirement, ...Requirement[]]);

export const policySchema = strict(
  {
    /** One requirement, or several (the CLI's repeated --require): `bound` beside a mechanism is that mechanism. */
    require: z.union([requirement, z.array(requirement).min(1, { error: 'must be one of mtls, dpop, bound' })], {
      error: (iss) => {
        const v = iss.input;
        const bad = Array.isArray(v) ? v.find((r) => !(REQUIREMENTS as readonly unknown[]).includes(r)) : v;
        return `must be one of mtls, dpop, bound (got ${shown(bad)})`;
      },
    }),
    maxTtlSeconds: z.number({ error: TTL_MESSAGE }).int({ error: TTL_MESSAGE }).min(1, { error: TTL_MESSAGE }).max(MAX_TTL_SECONDS, { error: TTL_MESSAGE }).nullish(),
    scope: strict(
      {
        /** Gateway name as the evidence keeps it. */
        gateway: text(300),
        /** Ingest source name. */
        source: text(300),
        /** `host/path-prefix`, `host` or `/path-prefix`. */
        routePrefix: text(300).refine((v) => v == null || ROUTE_PREFIX.test(v), { error: ROUTE_PREFIX_MESSAGE }),
        identity: strict(
          {
            kind: z.enum(IDENTITY_KINDS, { error: (iss) => `unknown identity kind ${shown(iss.input)} (known: ${IDENTITY_KINDS.join(', ')})` }).nullish(),
            /** Glob on the identity's name: `*` any run of characters, `?` one character. */
            nameGlob: text(200),
            /** Only privileged tokens (true) or only unprivileged ones (false). */
            privileged: z.boolean({ error: 'must be true or false' }).nullish(),
          },
          'scope.identity.',
          IDENTITY_KEYS,
          'must be an object with kind, nameGlob or privileged',
        ).nullish(),
        /** Only tokens whose audience includes this value. */
        audience: text(300),
      },
      'scope.',
      SCOPE_KEYS,
      'must be an object with gateway, source, routePrefix, identity or audience',
    ).nullish(),
  },
  '',
  POLICY_KEYS,
  'must be an object with require (mtls, dpop or bound)',
).superRefine((p, ctx) => {
  const list = Array.isArray(p.require) ? p.require : [p.require];
  if (list.includes('mtls') && list.includes('dpop')) ctx.addIssue({ code: 'custom', path: ['require'], message: CONFLICTING_REQUIREMENTS });
});

/** A policy as written (nulls, a list of requirements): what policySchema accepts. */
export type PolicyInput = z.input<typeof policySchema>;
/** The same once checked, before normalizePolicy. */
export type CheckedPolicy = z.output<typeof policySchema>;
