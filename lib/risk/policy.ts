// The risk policy: what counts as privileged, TTL limits per class, windows and thresholds.
// Stored as JSON (Setting `risk.policy`), edited in Settings, validated here with a clear
// error per bad value. Every field has a default, so `{}` is a valid policy.
import { z } from 'zod';
import type { Verdict } from '../domain/types.ts';
import { HoldfastError } from '../errors.ts';

const pattern = z
  .string()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');
const patterns = (defaults: string[]) => z.array(pattern).max(500).default(defaults);
const seconds = (d: number) => z.number().int('must be a whole number of seconds').positive('must be > 0').default(d);

export const DEFAULT_SCOPE_PATTERNS = [
  // The pattern \* (a backslash-escaped star) is the literal scope `*` (all scopes); a bare `*` would match every scope.
  '\\*',
  'admin',
  'admin:*',
  '*:admin',
  '*.admin',
  '*:write',
  'write:*',
  'repo',
  'repo:*',
  'deploy',
  'deploy:*',
  'ci:*',
  '*:delete',
  'delete:*',
  'root',
];

export const PolicySchema = z
  .object({
    privileged: z
      .object({
        /** Glob patterns (`*` = any run of characters, `\\*` = a literal star), matched case-insensitively against whole scopes. */
        scopePatterns: patterns(DEFAULT_SCOPE_PATTERNS),
        /** Audience patterns per reason, matched against declared `aud` and audiences seen in events. */
        audiences: z
          .object({
            partner: patterns(['*partner*']),
            crossTenant: patterns(['*tenant*', '*://*.external.*']),
            cicd: patterns(['*://ci.*', '*://cd.*', '*deploy*', '*pipeline*', '*jenkins*', '*argocd*', '*gitlab*', '*github*']),
            admin: patterns(['*admin*', '*://iam.*', '*/iam*']),
          })
          .strict()
          .prefault({}),
        /** AI agents act on their own: an unbound agent token is always high risk. */
        agentsAlwaysHighRisk: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    ttl: z
      .object({
        agentSeconds: seconds(3600),
        serviceSeconds: seconds(86_400),
        absoluteSeconds: seconds(90 * 86_400),
      })
      .strict()
      .prefault({})
      .superRefine((t, ctx) => {
        for (const k of ['agentSeconds', 'serviceSeconds'] as const) {
          if (t[k] > t.absoluteSeconds) {
            ctx.addIssue({ code: 'custom', path: [k], message: `must not exceed absoluteSeconds (${t.absoluteSeconds})` });
          }
        }
      }),
    certificates: z
      .object({
        expiringWindowDays: z.number().int().min(1).max(365).default(14),
        /** Inside this many days an expiring certificate is high, not medium. */
        urgentDays: z.number().int().min(0).max(365).default(3),
      })
      .strict()
      .prefault({}),
    fanOut: z
      .object({
        /** A token presented to more distinct services than this is flagged. */
        maxAudiences: z.number().int().min(1).max(60).default(5),
      })
      .strict()
      .prefault({}),
    failureSpike: z
      .object({
        baselineDays: z.number().int().min(2).max(30).default(7),
        /** Spike when last 24 h > mean + k·stddev of the baseline days … */
        k: z.number().positive().max(20).default(3),
        /** … and last 24 h ≥ factor × max(mean, 1) … */
        factor: z.number().min(1).max(100).default(3),
        /** … and last 24 h ≥ minCount (a handful of failures is never a spike). */
        minCount: z.number().int().min(1).default(10),
      })
      .strict()
      .prefault({}),
    replay: z
      .object({
        /** Client IPs in the same prefix count as one network origin (NAT pools, pod CIDRs). */
        ipv4PrefixBits: z.number().int().min(8).max(32).default(24),
        ipv6PrefixBits: z.number().int().min(16).max(128).default(48),
        /** Flag a bearer token seen from more network origins than this. */
        maxNetworkOrigins: z.number().int().min(1).max(60).default(1),
      })
      .strict()
      .prefault({}),
    contextStripped: z
      .object({
        minEvents: z.number().int().min(1).default(1),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;

/** Verdicts that count as a binding failure (failure_spike, failures KPIs); not generic auth failures. */
export const BINDING_FAILURE_VERDICTS: readonly Verdict[] = [
  'binding_mismatch',
  'proof_invalid',
  'no_proof_for_bound_token',
  'binding_context_stripped',
  'cert_untrusted',
  'cert_revoked',
  'cert_expired',
  // A backend accepted a certificate the client never presented at the edge (a client-supplied header passed through).
  'spoofed_client_cert',
  // A gateway accepted a certificate its CA's CRL lists.
  'cert_revoked_unchecked',
];

export interface PolicyError {
  /** Dotted path of the bad value, e.g. `ttl.agentSeconds`; `(root)` for the whole document. */
  path: string;
  message: string;
}

export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; errors: PolicyError[] };

/** The default policy (every field defaulted). */
export const DEFAULT_POLICY: Policy = PolicySchema.parse({});

/** Validates a policy document (parsed JSON or a JSON string) and fills defaults. */
export function validatePolicy(json: unknown): PolicyValidation {
  let input = json;
  if (typeof json === 'string') {
    try {
      input = JSON.parse(json);
    } catch (e) {
      return { ok: false, errors: [{ path: '(root)', message: `not valid JSON: ${(e as Error).message}` }] };
    }
  }
  const r = PolicySchema.safeParse(input);
  if (r.success) return { ok: true, policy: r.data };
  return {
    ok: false,
    errors: r.error.issues.map((i) => ({
      path: i.path.length === 0 ? '(root)' : i.path.map(String).join('.'),
      message: i.code === 'unrecognized_keys' ? `unknown setting(s): ${i.keys.join(', ')}` : i.message,
    })),
  };
}

/** Like validatePolicy, but throws HoldfastError `validation_failed` with the errors as details. */
export function parsePolicy(json: unknown): Policy {
  const r = validatePolicy(json);
  if (r.ok) return r.policy;
  const first = r.errors[0];
  throw new HoldfastError(
    'validation_failed',
    `invalid risk policy: ${first ? `${first.path}: ${first.message}` : 'unknown error'}`,
    r.errors,
  );
}
