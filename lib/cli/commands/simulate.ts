// holdfast simulate: what would requiring mTLS, DPoP or either (and/or a maximum token lifetime) on a
// source, gateway, route, set of identities or tokens refuse over a time range of stored evidence?
// Locally it reads the database; with --server it asks POST /api/v1/simulations. Same JSON either way
// (CONTRACT.md). Every selector of a policy has a flag: simulateCommandLine writes one back.
import { parseInstant } from '../../domain/instant.ts';
import { shellQuote } from '../../plan/authorization-server-config.ts';
import { parsePolicy, SimulationError, validateRange, type SimulationPolicy, type SimulationResult } from '../../simulate/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { emit, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';

const USAGE = 'holdfast simulate --require mtls|dpop|bound [--max-ttl SECONDS] [--source S] [--gateway G] [--route PREFIX] [--kind KIND] [--identity GLOB] [--privileged true|false] [--audience AUD] [--from ISO] [--to ISO] [--json]';
const DAY_MS = 86_400_000;

function text(ctx: CommandContext, name: string): string | null {
  const v = ctx.values[name];
  if (v === undefined) return null;
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} must not be empty`);
  return v;
}

/** The policy and range from the flags; every refusal is a UsageError (exit 2, one line). */
export function simulationFromFlags(ctx: Pick<CommandContext, 'values' | 'positionals'>, now = new Date()): { policy: SimulationPolicy; from: Date; to: Date } {
  if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]!.slice(0, 40)}" (usage: ${USAGE})`);
  const req = ctx.values.require;
  const list = Array.isArray(req) ? req : req === undefined ? [] : [req];
  if (!list.length) throw new UsageError(`--require is required (usage: ${USAGE})`);
  const ttlText = text(ctx as CommandContext, 'max-ttl');
  if (ttlText !== null && !/^\d+$/.test(ttlText)) throw new UsageError('--max-ttl must be a whole number of seconds');
  const privileged = text(ctx as CommandContext, 'privileged');
  if (privileged !== null && privileged !== 'true' && privileged !== 'false') throw new UsageError('--privileged must be true or false');
  const kind = text(ctx as CommandContext, 'kind');
  const identity = text(ctx as CommandContext, 'identity');
  try {
    const policy = parsePolicy({
      require: list.length === 1 ? list[0] : list,
      ...(ttlText !== null ? { maxTtlSeconds: Number(ttlText) } : {}),
      scope: {
        source: text(ctx as CommandContext, 'source'),
        gateway: text(ctx as CommandContext, 'gateway'),
        routePrefix: text(ctx as CommandContext, 'route'),
        identity: { kind, nameGlob: identity, privileged: privileged === null ? null : privileged === 'true' },
        audience: text(ctx as CommandContext, 'audience'),
      },
    });
    const to = parseInstant('--to', text(ctx as CommandContext, 'to')) ?? now;
    const from = parseInstant('--from', text(ctx as CommandContext, 'from')) ?? new Date(to.getTime() - 30 * DAY_MS);
    validateRange(from, to);
    return { policy, from, to };
  } catch (e) {
    if (e instanceof SimulationError || (e instanceof Error && e.name === 'HoldfastError')) throw new UsageError(e.message);
    throw e;
  }
}

/** The command line that simulates `policy` over `range`, every selector as its flag (shell-quoted). */
export function simulateCommandLine(policy: SimulationPolicy, range: { from: string; to: string }): string {
  const s = policy.scope ?? {};
  const id = s.identity ?? {};
  const flag = (name: string, v: string | null | undefined) => (v ? `--${name} ${shellQuote(v)}` : '');
  return [
    `holdfast simulate --require ${policy.require}`,
    policy.maxTtlSeconds ? `--max-ttl ${policy.maxTtlSeconds}` : '',
    flag('source', s.source),
    flag('gateway', s.gateway),
    flag('route', s.routePrefix),
    flag('kind', id.kind),
    flag('identity', id.nameGlob),
    id.privileged == null ? '' : `--privileged ${id.privileged}`,
    flag('audience', s.audience),
    `--from ${range.from} --to ${range.to} --json`,
  ].filter(Boolean).join(' ');
}

function human(r: SimulationResult): string {
  const q = r.requests;
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `require ${r.policy.require}${r.policy.maxTtlSeconds ? `, tokens at most ${r.policy.maxTtlSeconds} s` : ''} over ${r.range.from} – ${r.range.to}`,
    `${n(q.total)} requests: ${n(q.wouldBeRefused)} would be refused (${n(q.attacksStopped)} attacks stopped, ${n(q.legitimateBroken)} legitimate broken), ${n(q.alreadyRefused)} already refused, ${n(q.alreadyInvalid)} already invalid, ${n(q.unaffected)} unaffected, ${n(q.unknown ?? 0)} cannot be judged (no token seen)${q.sameAttackOtherHops ? `, ${n(q.sameAttackOtherHops)} the same attacks seen at other hops` : ''}`,
    ...(r.warnings ?? []).map((w) => `warning: ${w}`),
  ];
  if (r.identities.length) {
    const w = Math.max(8, ...r.identities.map((i) => i.name.length));
    lines.push('', `${'identity'.padEnd(w)}  refused  attacks  broken`);
    for (const i of r.identities) lines.push(`${i.name.padEnd(w)}  ${String(i.wouldBeRefused).padStart(7)}  ${String(i.attacksStopped).padStart(7)}  ${String(i.legitimateBroken).padStart(6)}`);
  }
  return lines.join('\n');
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'what would enforcing mTLS/DPoP binding (or a maximum TTL) refuse, from stored evidence',
  usage: USAGE,
  options: {
    require: { type: 'string', multiple: true },
    'max-ttl': { type: 'string' },
    source: { type: 'string' },
    gateway: { type: 'string' },
    route: { type: 'string' },
    kind: { type: 'string' },
    identity: { type: 'string' },
    privileged: { type: 'string' },
    audience: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  async run(ctx) {
    const { policy, from, to } = simulationFromFlags(ctx);
    // One simulation per process: the SQL statements (the server keeps the columns in memory).
    const result = ctx.remote
      ? await callApi<SimulationResult>(ctx.remote, 'POST', '/api/v1/simulations', { policy, from: from.toISOString(), to: to.toISOString() })
      : await ctx.withDb(async (db) => (await import('../../services/simulation/index.ts')).simulate(db, { policy, from, to, engine: 'sql' }));
    // What the counts cannot say (requests with no token seen): on stderr, as messages go.
    if (ctx.io.json) for (const w of result.warnings ?? []) ctx.io.err(`warning: ${w}\n`);
    emit(ctx.io, result, () => human(result));
  },
};
