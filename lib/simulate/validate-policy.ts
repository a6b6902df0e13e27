// A simulation policy and time range from untrusted input (API body, CLI flags, page URL), refused
// with a typed SimulationError and a one-line reason: an unknown selector, a requirement that is
// none of mtls/dpop/bound or that asks for both mechanisms at once (a token is bound one way, so
// mtls and dpop together can never be met: jose's is_sender_constrained treats it as an error
// too), a non-positive TTL, an empty, inverted or over-long range. The policy's shape and words are
// policySchema's (policy-schema.ts), shared with rollout plans.
import { policySchema, type CheckedPolicy } from './policy-schema.ts';
import { SimulationError, type IdentitySelector, type PolicyScope, type Requirement, type SimulationErrorCode, type SimulationPolicy } from './types.ts';

/** Longest range read: the usage aggregates are kept 400 days. */
export const MAX_RANGE_DAYS = 400;

/** The policy without what does not narrow it (null, empty selectors), one requirement. */
export function normalizePolicy(p: CheckedPolicy): SimulationPolicy {
  const list = new Set<Requirement>(Array.isArray(p.require) ? p.require : [p.require]);
  const policy: SimulationPolicy = { require: list.has('mtls') ? 'mtls' : list.has('dpop') ? 'dpop' : 'bound' };
  if (p.maxTtlSeconds != null) policy.maxTtlSeconds = p.maxTtlSeconds;
  const s = p.scope;
  const identity: IdentitySelector = {};
  if (s?.identity?.kind != null) identity.kind = s.identity.kind;
  if (s?.identity?.nameGlob != null) identity.nameGlob = s.identity.nameGlob;
  if (s?.identity?.privileged != null) identity.privileged = s.identity.privileged;
  const scope: PolicyScope = {};
  if (s?.gateway != null) scope.gateway = s.gateway;
  if (s?.source != null) scope.source = s.source;
  if (s?.routePrefix != null) scope.routePrefix = s.routePrefix;
  if (Object.keys(identity).length) scope.identity = identity;
  if (s?.audience != null) scope.audience = s.audience;
  if (Object.keys(scope).length) policy.scope = scope;
  return policy;
}

function codeOf(path: readonly PropertyKey[], code: string, message: string): SimulationErrorCode {
  if (path[0] === 'require') return message.startsWith('conflicting') ? 'conflicting_requirements' : 'invalid_requirement';
  if (path.length === 0 && code === 'invalid_type') return 'invalid_requirement';
  if (path[0] === 'maxTtlSeconds') return 'invalid_max_ttl';
  if (path.at(-1) === 'routePrefix') return 'invalid_route_prefix';
  return 'unknown_selector';
}

/** A policy from untrusted input, normalised (absent selectors dropped). */
export function parsePolicy(input: unknown): SimulationPolicy {
  const r = policySchema.safeParse(input);
  if (r.success) return normalizePolicy(r.data);
  // An unknown selector first: the rest of the policy may mean something else than its writer thought.
  const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
  const where = issue.path.join('.');
  const message = issue.message.startsWith('must') ? `${where || 'the policy'} ${issue.message}` : issue.message;
  throw new SimulationError(codeOf(issue.path, issue.code, issue.message), message);
}

/** The range [from, to): refused when empty, inverted, or longer than the usage retention. */
export function validateRange(from: Date, to: Date): { from: Date; to: Date } {
  if (!Number.isFinite(from.getTime()) || !Number.isFinite(to.getTime())) throw new SimulationError('empty_range', 'from and to must be instants');
  if (from.getTime() > to.getTime()) throw new SimulationError('inverted_range', `the range is inverted: from ${from.toISOString()} is after to ${to.toISOString()}`);
  if (from.getTime() === to.getTime()) throw new SimulationError('empty_range', 'the range is empty: from equals to');
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw new SimulationError('range_too_long', `the range is longer than ${MAX_RANGE_DAYS} days (usage evidence is kept that long)`);
  return { from, to };
}

/** A name glob (`*`, `?`) as a SQL LIKE pattern with `\` as escape. */
export function globToLike(glob: string): string {
  let out = '';
  for (const ch of glob) out += ch === '*' ? '%' : ch === '?' ? '_' : ch === '%' || ch === '_' || ch === '\\' ? `\\${ch}` : ch;
  return out;
}
