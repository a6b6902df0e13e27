// The Simulate page's URL as a simulation request. The parameter names are the CLI's flags where
// the CLI has one (require, maxTtl, gateway, route, identity, from, to) and /plans/new reads the
// same names, so a shared link, a reload and "Build a rollout plan" all mean the same policy.
import { dateParam } from '@/lib/services/estate/query.ts';

export type SP = Record<string, string | string[] | undefined>;

export const QUERY_KEYS = ['require', 'maxTtl', 'source', 'gateway', 'route', 'kind', 'identity', 'privileged', 'audience', 'from', 'to'] as const;
export type SimulateQuery = Record<(typeof QUERY_KEYS)[number], string>;

const DAY_MS = 86_400_000;

/** Why the form's input cannot be simulated, in the words of the form's labels. */
export class SimulateInputError extends Error {
  constructor(
    readonly field: (typeof QUERY_KEYS)[number],
    message: string,
  ) {
    super(message);
    this.name = 'SimulateInputError';
  }
}

export function readQuery(sp: SP): SimulateQuery {
  const out = {} as SimulateQuery;
  for (const k of QUERY_KEYS) {
    const v = sp[k];
    out[k] = ((Array.isArray(v) ? v[0] : v) ?? '').trim();
  }
  return out;
}

function instant(q: SimulateQuery, k: 'from' | 'to', label: string, now: Date): Date | null {
  if (!q[k]) return null;
  try {
    return dateParam({ [k]: q[k] }, k, now) ?? null;
  } catch {
    throw new SimulateInputError(k, `${label} must be an ISO 8601 date or date-time (e.g. 2026-11-01T00:00:00Z) or now-30d, not "${q[k].slice(0, 40)}"`);
  }
}

/**
 * The policy (still untrusted: the service checks it and names what it refuses) and the range;
 * values the service would only see as a wrong type are refused here with the form's words.
 */
export function simulationRequest(q: SimulateQuery, now = new Date()): { policy: Record<string, unknown>; from: Date; to: Date } {
  if (q.maxTtl && !/^\d+$/.test(q.maxTtl)) throw new SimulateInputError('maxTtl', `Max token TTL must be a whole number of seconds, not "${q.maxTtl.slice(0, 40)}"`);
  if (q.privileged && q.privileged !== 'yes' && q.privileged !== 'no') throw new SimulateInputError('privileged', 'Privileged must be yes, no or empty (any)');
  const to = instant(q, 'to', 'To', now) ?? now;
  const from = instant(q, 'from', 'From', now) ?? new Date(to.getTime() - 30 * DAY_MS);
  if (from.getTime() > to.getTime()) throw new SimulateInputError('from', `From (${from.toISOString()}) is after To (${to.toISOString()}): the range is inverted`);
  const identity = {
    ...(q.kind ? { kind: q.kind } : {}),
    ...(q.identity ? { nameGlob: q.identity } : {}),
    ...(q.privileged ? { privileged: q.privileged === 'yes' } : {}),
  };
  const scope = {
    ...(q.source ? { source: q.source } : {}),
    ...(q.gateway ? { gateway: q.gateway } : {}),
    ...(q.route ? { routePrefix: q.route } : {}),
    ...(Object.keys(identity).length ? { identity } : {}),
    ...(q.audience ? { audience: q.audience } : {}),
  };
  const policy = {
    require: q.require,
    ...(q.maxTtl ? { maxTtlSeconds: Number(q.maxTtl) } : {}),
    ...(Object.keys(scope).length ? { scope } : {}),
  };
  return { policy, from, to };
}

/** `?a=b&…` of the non-empty values. */
export function queryString(params: Record<string, string | null | undefined>): string {
  const q = new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''));
  return q.size ? `?${q}` : '';
}
