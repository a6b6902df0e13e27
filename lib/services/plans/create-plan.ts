// Saves a rollout plan: the policy's simulation over the range (every selector a simulation has,
// resolved as the simulation resolves them), read from the evidence, built into waves (lib/plan)
// and stored as built, with the audit entry in the same transaction.
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import { buildRolloutPlan, type ExceptionRequest, type PlanPolicy, type RolloutPlan } from '../../plan/index.ts';
import { parsePolicy, scopeWords, type PolicyInput } from '../../simulate/index.ts';
import { toHoldfastError } from '../simulation/run-simulation.ts';
import { resolveScope } from '../simulation/scope.ts';
import { readPlanIdentities } from './read-evidence.ts';
import type { SavedPlanSummary } from './types.ts';

export interface CreatePlanOptions {
  name?: string;
  /** Checked and normalised here (policySchema's words, 422 with a one-line reason). */
  policy: PolicyInput;
  from: Date;
  to: Date;
  exceptions?: ExceptionRequest[];
  actor: string;
  now?: () => Date;
}

/** Longest range a plan reads (the usage rows are kept 400 days). */
export const MAX_PLAN_RANGE_DAYS = 400;

/** The range in one line when it cannot be planned over. */
export function checkPlanRange(from: Date, to: Date, now: Date): void {
  if (from.getTime() >= to.getTime()) throw new HoldfastError('validation_failed', 'from must be before to (the range is empty or inverted)', { errors: [{ path: 'from', message: 'must be before to' }] });
  if (to.getTime() - from.getTime() > MAX_PLAN_RANGE_DAYS * 86_400_000) throw new HoldfastError('validation_failed', `the range is longer than ${MAX_PLAN_RANGE_DAYS} days`, { errors: [{ path: 'to', message: `at most ${MAX_PLAN_RANGE_DAYS} days after from` }] });
  if (from.getTime() > now.getTime()) throw new HoldfastError('validation_failed', 'from is in the future: there is no evidence to plan from yet', { errors: [{ path: 'from', message: 'must not be in the future' }] });
}

export function defaultPlanName(p: PlanPolicy): string {
  const where = p.scope ? scopeWords(p.scope) : '';
  return `Require ${p.require}${p.maxTtlSeconds ? `, TTL <= ${p.maxTtlSeconds} s` : ''}${where ? ` on ${where}` : ''}`;
}

export async function createPlan(db: Database, o: CreatePlanOptions): Promise<SavedPlanSummary> {
  const now = (o.now ?? (() => new Date()))();
  checkPlanRange(o.from, o.to, now);
  let policy: PlanPolicy;
  let scope;
  try {
    policy = parsePolicy(o.policy);
    scope = await resolveScope(db, policy);
  } catch (e) {
    throw toHoldfastError(e);
  }
  const identities = await readPlanIdentities(db, policy, scope, { from: o.from, to: o.to });
  if (!identities.length) throw new HoldfastError('validation_failed', 'no requests of any identity in this range and scope: nothing to plan (widen the range or the scope)');
  const plan = buildRolloutPlan({ policy, range: { from: o.from, to: o.to }, identities, exceptions: o.exceptions ?? [], now });
  const name = o.name?.trim() || defaultPlanName(policy);
  const row = await db.prisma.$transaction(async (tx) => {
    const saved = await tx.rolloutPlan.create({
      data: { name, policy: policy as object, rangeFrom: o.from, rangeTo: o.to, exceptions: (o.exceptions ?? []) as object[], plan: plan as object, createdAt: now, createdBy: o.actor },
      select: { id: true },
    });
    await appendAuditEntry(tx, {
      actor: o.actor,
      action: 'plan.create',
      target: `plan:${saved.id}`,
      details: { name, policy, from: o.from.toISOString(), to: o.to.toISOString(), waves: plan.waves.map((w) => ({ wave: w.wave, identities: w.identities.length })), exceptions: (o.exceptions ?? []).length },
    });
    return saved;
  });
  return summaryOf({ id: row.id, name, createdAt: now, createdBy: o.actor, rangeFrom: o.from, rangeTo: o.to, plan });
}

export function summaryOf(r: { id: string; name: string; createdAt: Date; createdBy: string; rangeFrom: Date; rangeTo: Date; plan: RolloutPlan }): SavedPlanSummary {
  return {
    id: r.id,
    name: r.name,
    createdAt: r.createdAt.toISOString(),
    createdBy: r.createdBy,
    range: { from: r.rangeFrom.toISOString(), to: r.rangeTo.toISOString() },
    policy: r.plan.policy,
    totals: r.plan.totals,
    waves: r.plan.waves.map((w) => ({ wave: w.wave, title: w.title, identities: w.identities.length, expectedRefused: w.expectedRefused.total })),
  };
}
