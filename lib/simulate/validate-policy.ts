// A simulation policy and time range from untrusted input (API body, CLI flags, page URL), refused
// with a typed SimulationError and a one-line reason: an unknown selector, a requirement that is
// none of mtls/dpop/bound or that asks for both mechanisms at once (a token is bound one way, so
// mtls and dpop together can never be met: jose's is_sender_constrained treats it as an error
// too), a non-positive TTL, an empty, inverted or over-long range.
import { IDENTITY_KINDS } from '../domain/types.ts';
import { REQUIREMENTS, SimulationError, type IdentitySelector, type PolicyScope, type Requirement, type SimulationPolicy } from './types.ts';

const POLICY_KEYS = ['require', 'maxTtlSeconds', 'scope'];
const SCOPE_KEYS = ['gateway', 'source', 'routePrefix', 'identity', 'audience'];
const IDENTITY_KEYS = ['kind', 'nameGlob', 'privileged'];
/** Longest range read: the usage aggregates are kept 400 days. */
export const MAX_RANGE_DAYS = 400;
/** Longest TTL limit: a year. */
export const MAX_TTL_SECONDS = 31_536_000;
/** `host/path`, `host` or `/path` (what lib/enforcement can scope a gateway to). */
const ROUTE_PREFIX = /^(?:(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*(?::\d{1,5})?)?(?:\/[A-Za-z0-9._~!$&'()*+,=:@%/-]{0,255})?$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refuseUnknownKeys(o: Record<string, unknown>, allowed: string[], where: string): void {
  const unknown = Object.keys(o).find((k) => !allowed.includes(k));
  if (unknown !== undefined) throw new SimulationError('unknown_selector', `unknown selector ${where}${unknown.slice(0, 40)} (known: ${allowed.join(', ')})`);
}

function text(v: unknown, name: string, max = 300): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.trim() === '' || v.length > max || [...v].some((c) => c.charCodeAt(0) < 32)) {
    throw new SimulationError('unknown_selector', `${name} must be a non-empty text of at most ${max} characters`);
  }
  return v.trim();
}

/**
 * The requirement from one value or a list (the CLI's repeated --require). `bound` with a mechanism
 * is that mechanism; mtls with dpop is a conflict.
 */
export function parseRequirement(v: unknown): Requirement {
  const list = Array.isArray(v) ? v : [v];
  if (!list.length) throw new SimulationError('invalid_requirement', 'require must be one of mtls, dpop, bound');
  for (const r of list) {
    if (typeof r !== 'string' || !(REQUIREMENTS as readonly string[]).includes(r)) {
      throw new SimulationError('invalid_requirement', `require must be one of mtls, dpop, bound (got ${JSON.stringify(r)?.slice(0, 40) ?? 'nothing'})`);
    }
  }
  const set = new Set(list as Requirement[]);
  if (set.has('mtls') && set.has('dpop')) throw new SimulationError('conflicting_requirements', 'conflicting requirements: a token is bound to a certificate or to a DPoP key, not both; require mtls, dpop or bound (either)');
  return set.has('mtls') ? 'mtls' : set.has('dpop') ? 'dpop' : 'bound';
}

function parseIdentity(v: unknown): IdentitySelector | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new SimulationError('unknown_selector', 'scope.identity must be an object with kind, nameGlob or privileged');
  refuseUnknownKeys(v, IDENTITY_KEYS, 'scope.identity.');
  const out: IdentitySelector = {};
  if (v.kind !== undefined && v.kind !== null) {
    if (typeof v.kind !== 'string' || !(IDENTITY_KINDS as readonly string[]).includes(v.kind)) {
      throw new SimulationError('unknown_selector', `unknown identity kind ${JSON.stringify(v.kind)?.slice(0, 40)} (known: ${IDENTITY_KINDS.join(', ')})`);
    }
    out.kind = v.kind as IdentitySelector['kind'];
  }
  const glob = text(v.nameGlob, 'scope.identity.nameGlob', 200);
  if (glob !== null) out.nameGlob = glob;
  if (v.privileged !== undefined && v.privileged !== null) {
    if (typeof v.privileged !== 'boolean') throw new SimulationError('unknown_selector', 'scope.identity.privileged must be true or false');
    out.privileged = v.privileged;
  }
  return Object.keys(out).length ? out : null;
}

function parseScope(v: unknown): PolicyScope | null {
  if (v === undefined || v === null) return null;
  if (!isObject(v)) throw new SimulationError('unknown_selector', 'scope must be an object with gateway, source, routePrefix, identity or audience');
  refuseUnknownKeys(v, SCOPE_KEYS, 'scope.');
  const out: PolicyScope = {};
  const gateway = text(v.gateway, 'scope.gateway');
  if (gateway !== null) out.gateway = gateway;
  const source = text(v.source, 'scope.source');
  if (source !== null) out.source = source;
  const route = text(v.routePrefix, 'scope.routePrefix');
  if (route !== null) {
    if (!ROUTE_PREFIX.test(route) || route === '') throw new SimulationError('invalid_route_prefix', 'scope.routePrefix must be host/path, host or /path (no spaces or quotes)');
    out.routePrefix = route;
  }
  const identity = parseIdentity(v.identity);
  if (identity) out.identity = identity;
  const audience = text(v.audience, 'scope.audience');
  if (audience !== null) out.audience = audience;
  return Object.keys(out).length ? out : null;
}

/** A policy from untrusted input, normalised (absent selectors dropped). */
export function parsePolicy(input: unknown): SimulationPolicy {
  if (!isObject(input)) throw new SimulationError('invalid_requirement', 'the policy must be an object with require (mtls, dpop or bound)');
  refuseUnknownKeys(input, POLICY_KEYS, '');
  const policy: SimulationPolicy = { require: parseRequirement(input.require) };
  const ttl = input.maxTtlSeconds;
  if (ttl !== undefined && ttl !== null) {
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
      throw new SimulationError('invalid_max_ttl', `maxTtlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`);
    }
    policy.maxTtlSeconds = ttl;
  }
  const scope = parseScope(input.scope);
  if (scope) policy.scope = scope;
  return policy;
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
