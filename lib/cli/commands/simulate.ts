// holdfast simulate: what would requiring mTLS, DPoP or either (and/or a maximum token lifetime) on a
// gateway, route or set of identities refuse over a time range of stored evidence? Locally it reads
// the database; with --server it asks POST /api/v1/simulations. Same JSON either way (CONTRACT.md).
import { parseInstant } from '../../domain/instant.ts';
import { parsePolicy, SimulationError, validateRange, type SimulationPolicy, type SimulationResult } from '../../simulate/index.ts';
import { simulate } from '../../services/simulation/index.ts';
import type { Command, CommandContext } from '../command.ts';
import { emit, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';

const USAGE = 'holdfast simulate --require mtls|dpop|bound [--max-ttl SECONDS] [--gateway G] [--route PREFIX] [--identity GLOB] [--from ISO] [--to ISO] [--json]';
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
  const gateway = text(ctx as CommandContext, 'gateway');
  const route = text(ctx as CommandContext, 'route');
  const identity = text(ctx as CommandContext, 'identity');
  try {
    const policy = parsePolicy({
      require: list.length === 1 ? list[0] : list,
      ...(ttlText !== null ? { maxTtlSeconds: Number(ttlText) } : {}),
      scope: { gateway, routePrefix: route, identity: identity ? { nameGlob: identity } : null },
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

function human(r: SimulationResult): string {
  const q = r.requests;
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = [
    `require ${r.policy.require}${r.policy.maxTtlSeconds ? `, tokens at most ${r.policy.maxTtlSeconds} s` : ''} over ${r.range.from} – ${r.range.to}`,
    `${n(q.total)} requests: ${n(q.wouldBeRefused)} would be refused (${n(q.attacksStopped)} attacks stopped, ${n(q.legitimateBroken)} legitimate broken), ${n(q.alreadyRefused)} already refused, ${n(q.alreadyInvalid)} already invalid`,
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
    gateway: { type: 'string' },
    route: { type: 'string' },
    identity: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
  async run(ctx) {
    const { policy, from, to } = simulationFromFlags(ctx);
    const result = ctx.remote
      ? await callApi<SimulationResult>(ctx.remote, 'POST', '/api/v1/simulations', { policy, from: from.toISOString(), to: to.toISOString() })
      : await ctx.withDb((db) => simulate(db, { policy, from, to }));
    emit(ctx.io, result, () => human(result));
  },
};
