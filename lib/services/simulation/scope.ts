// Where a policy applies, as the evidence store names it: the policy's gateway, source and route
// prefix resolved to dimension numbers once, and the SQL conditions every reader of the policy's
// requests uses (the simulation over evidence."Usage", a rollout plan over usage and notable rows,
// its progress), so a plan and a simulation of the same policy count the same requests.
import type { Database } from '../../db/open.ts';
import { splitRoutePrefix } from '../../plan/gateway-config.ts';
import { globToLike, SimulationError, type SimulationPolicy } from '../../simulate/index.ts';
import { DIM } from '../evidence/dims.ts';

/** Dimension numbers of the policy's gateway, source and routes; null: not narrowed. */
export interface ResolvedScope {
  gateways: number[] | null;
  ns: number[] | null;
  routes: number[] | null;
}

/** Adds a parameter and answers its placeholder with a cast (`$4::int[]`). */
export type SqlArg = (value: unknown, type: string) => string;

function reEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function hostRegex(serverName: string): string {
  const name = serverName.toLowerCase();
  return name.startsWith('*.') ? `[^ /]*\\.${reEscape(name.slice(2))}` : reEscape(name);
}

/** A POSIX regex over a stored route (`host /prefix`, host lower-cased, port kept) for a route prefix. */
export function routeRegex(routePrefix: string): string {
  const { serverName, locationPrefix } = splitRoutePrefix(routePrefix);
  const path = reEscape((locationPrefix ?? '/').toLowerCase());
  if (!serverName) return `^[^ ]* ${path}`;
  return `^${hostRegex(serverName)}${/:\d+$/.test(serverName) ? '' : '(:[0-9]+)?'} ${path}`;
}

/** The same over a logged URL (absolute or a path), matched case-insensitively (`~*`). */
export function urlRegex(routePrefix: string): string {
  const { serverName, locationPrefix } = splitRoutePrefix(routePrefix);
  const path = reEscape(locationPrefix ?? '/');
  if (!serverName) return `^([a-z]+://[^/?#]*)?${path}`;
  return `^([a-z]+://${hostRegex(serverName)}${/:\d+$/.test(serverName) ? '' : '(:[0-9]+)?'})?${path}`;
}

/**
 * The policy's gateway, source and route as dimension numbers. With `refuseUnknown` (a new
 * simulation or plan), a gateway no evidence names and a source that does not exist are refused by
 * name; without (a saved plan's progress), they narrow to nothing.
 */
export async function resolveScope(db: Database, policy: SimulationPolicy, o: { refuseUnknown: boolean } = { refuseUnknown: true }): Promise<ResolvedScope> {
  const s = policy.scope ?? {};
  let gateways: number[] | null = null;
  if (s.gateway) {
    const rows = await db.query<{ id: number }>(`SELECT id FROM evidence."Dim" WHERE kind = $1 AND value = $2`, [DIM.gateway, s.gateway]);
    if (!rows.length && o.refuseUnknown) throw new SimulationError('unknown_selector', `unknown gateway ${s.gateway.slice(0, 80)}: no evidence names it`);
    gateways = rows.map((r) => Number(r.id));
  }
  let ns: number[] | null = null;
  if (s.source) {
    const rows = await db.query<{ id: number }>(
      `SELECT d.id FROM "Source" so JOIN evidence."Dim" d ON d.kind = $1 AND d.value = so.id::text WHERE so.name = $2`,
      [DIM.ns, s.source],
    );
    const known = rows.length || (await db.query(`SELECT 1 FROM "Source" WHERE name = $1`, [s.source])).length;
    if (!known && o.refuseUnknown) throw new SimulationError('unknown_selector', `unknown source ${s.source.slice(0, 80)}`);
    ns = rows.map((r) => Number(r.id));
  }
  let routes: number[] | null = null;
  if (s.routePrefix) {
    const rows = await db.query<{ id: number }>(`SELECT id FROM evidence."Dim" WHERE kind = $1 AND value ~ $2`, [DIM.route, routeRegex(s.routePrefix)]);
    routes = rows.map((r) => Number(r.id));
  }
  return { gateways, ns, routes };
}

/** A token's lifetime, seconds: as the inventory recorded it, else from its iat and exp (token row `t`). */
export function ttlSql(t: string): string {
  return `coalesce(${t}."ttlSeconds", round(extract(epoch FROM ${t}."expiresAt" - ${t}."issuedAt"))::int)`;
}

/** The scope matches no stored request whatever the range (a route prefix no route matches). */
export function scopeIsEmpty(scope: ResolvedScope): boolean {
  return [scope.gateways, scope.ns, scope.routes].some((ids) => ids !== null && !ids.length);
}

/** Conditions on the token (`t`, LEFT JOINed: a request without a known token matches neither). */
export function tokenScopeSql(policy: SimulationPolicy, arg: SqlArg, t = 't'): string[] {
  const conds: string[] = [];
  const privileged = policy.scope?.identity?.privileged;
  if (privileged != null) conds.push(`${t}.privileged = ${arg(privileged, 'bool')}`);
  if (policy.scope?.audience) conds.push(`${arg(policy.scope.audience, 'text')} = ANY(${t}.audience)`);
  return conds;
}

/** Conditions on a usage row (`u`) and its token (`t`): gateway, source, route, privileged, audience. */
export function usageScopeSql(scope: ResolvedScope, policy: SimulationPolicy, arg: SqlArg, u = 'u', t = 't'): string[] {
  const conds: string[] = [];
  if (scope.gateways) conds.push(`${u}.gateway = ANY(${arg(scope.gateways, 'int[]')})`);
  if (scope.ns) conds.push(`${u}.ns = ANY(${arg(scope.ns, 'int[]')})`);
  if (scope.routes) conds.push(`${u}.route = ANY(${arg(scope.routes, 'int[]')})`);
  return [...conds, ...tokenScopeSql(policy, arg, t)];
}

/**
 * The whole scope over usage-like rows `u`: usageScopeSql, and the identity's kind and name glob on
 * the identity joined as `i` (only when the policy names them). `joins`: the token as `t`, and `i`.
 */
export function policyScopeSql(scope: ResolvedScope, policy: SimulationPolicy, arg: SqlArg): { conds: string[]; joins: string } {
  const idSel = policy.scope?.identity;
  const conds = usageScopeSql(scope, policy, arg);
  if (idSel?.kind) conds.push(`i.kind = ${arg(idSel.kind, 'text')}`);
  if (idSel?.nameGlob) conds.push(`i.name LIKE ${arg(globToLike(idSel.nameGlob), 'text')}`);
  const needIdentity = Boolean(idSel?.kind || idSel?.nameGlob);
  return { conds, joins: `LEFT JOIN "Token" t ON t.id = u."tokenId" ${needIdentity ? `LEFT JOIN "Identity" i ON i.id = u."identityId"` : ''}` };
}
