// The gateway configuration of one wave, from lib/enforcement's generators (tested on the real
// NGINX and HAProxy), scoped to the plan's host and path prefix, headed by the wave: which
// identities it is for and which identities in the same scope it would still refuse (later waves),
// since a gateway scope is a host and path, not a client list.
import { haproxyEnforcementConfig, nginxEnforcementConfig, type EnforcementMode, type EnforcementTls } from '../enforcement/index.ts';
import { HoldfastError } from '../errors.ts';
import { describeScope, type ScopeSelector } from '../simulate/describe-scope.ts';
import type { PlanPolicy, RolloutPlan, WaveNumber } from './types.ts';

export type PlanGateway = 'nginx' | 'haproxy';
export const PLAN_GATEWAYS: readonly PlanGateway[] = ['nginx', 'haproxy'];

export interface WaveGatewayOptions {
  gateway: PlanGateway;
  mode?: EnforcementMode;
  upstream?: string;
  logPath?: string;
  tls?: EnforcementTls;
  /** NGINX listen / HAProxy bind. */
  listen?: string;
  njsDir?: string;
}

/** `api.example.com/orders` → host and prefix; `/orders` → any host. */
export function splitRoutePrefix(routePrefix: string | null | undefined): { serverName?: string; locationPrefix?: string } {
  if (!routePrefix) return {};
  const s = routePrefix.trim();
  if (s.startsWith('/')) return { locationPrefix: s };
  const m = /^([^\s/]+)\s*(\/.*)?$/.exec(s);
  if (!m) return {};
  return { serverName: m[1], locationPrefix: m[2] ?? '/' };
}

/** What a generated configuration is scoped by: the route (host and path) it guards, on the gateway it is installed on. */
export const CONFIG_SELECTORS: readonly ScopeSelector[] = ['gateway', 'routePrefix'];

/**
 * The plan's selectors its gateway configuration does not check (source, identity kind and name,
 * privileged, audience): they chose which identities are in the waves; the configuration refuses
 * every request on its route without the binding, whoever sends it.
 */
export function selectorsNotInConfig(policy: PlanPolicy): string[] {
  return describeScope(policy.scope).filter((p) => !CONFIG_SELECTORS.includes(p.selector)).map((p) => p.words);
}

/** The downloadable text of a wave's gateway configuration. Wave 3 (exceptions) has none. */
export function waveGatewayConfig(plan: RolloutPlan, n: WaveNumber, o: WaveGatewayOptions): string {
  const wave = plan.waves.find((w) => w.wave === n);
  if (!wave) throw new HoldfastError('not_found', `the plan has no wave ${n}`);
  if (n === 3) throw new HoldfastError('validation_failed', 'wave 3 holds exceptions: the gateway keeps accepting them under compensating controls, so there is no enforcement configuration to apply');
  const later = plan.waves.filter((w) => w.wave > n && w.wave < 3).flatMap((w) => w.identities.map((i) => i.name));
  const exceptions = plan.waves.find((w) => w.wave === 3)?.identities.map((i) => i.name) ?? [];
  const common = {
    require: plan.policy.require,
    maxTtlSeconds: plan.policy.maxTtlSeconds ?? null,
    scope: splitRoutePrefix(plan.policy.scope?.routePrefix),
    mode: o.mode ?? 'enforce',
    upstream: o.upstream ?? 'http://127.0.0.1:8080',
    logPath: o.logPath ?? (o.gateway === 'nginx' ? '/var/log/nginx/holdfast-enforce.log' : '/var/log/haproxy/holdfast-enforce.log'),
    tls: o.tls,
  };
  const text = o.gateway === 'nginx'
    ? nginxEnforcementConfig({ ...common, listen: o.listen, njsDir: o.njsDir }).text
    : haproxyEnforcementConfig({ ...common, bind: o.listen }).text;
  const list = (xs: string[]) => (xs.length ? xs.join(', ') : 'none');
  const head = [
    `# Holdfast rollout plan - wave ${n}: ${wave.title}`,
    `# For: ${list(wave.identities.map((i) => i.name))}`,
    `# Mode: ${common.mode}. The gateway scope is a host and path, not a client list: under enforce it also refuses`,
    `#   identities of later waves still without binding (${list(later)})`,
    `#   and the exceptions (${list(exceptions)}) - give those a route or host of their own first, or run report_only.`,
  ];
  const notChecked = selectorsNotInConfig(plan.policy);
  if (notChecked.length) {
    head.push(`# The plan's ${notChecked.join(', ')} chose the identities of its waves: this configuration does not check them,`, '#   it refuses every request on its route without the binding, whoever sends it.');
  }
  return `${head.join('\n')}\n${text}`;
}
