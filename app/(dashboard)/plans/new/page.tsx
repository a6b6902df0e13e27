import type { Metadata } from 'next';
import { requirePage } from '../../../_lib/session.ts';
import { NewPlanForm, type NewPlanDefaults } from '../_components/new-plan-form.tsx';

export const metadata: Metadata = { title: 'New rollout plan' };

type Query = Record<string, string | string[] | undefined>;
const one = (q: Query, ...names: string[]): string => {
  for (const n of names) {
    const v = q[n];
    const s = Array.isArray(v) ? v[0] : v;
    if (s) return s;
  }
  return '';
};

/**
 * The simulate page links here with its own query (require, maxTtl, gateway, route, identity, kind,
 * from, to; the CLI's flag names), so the plan starts from the policy the operator just simulated.
 */
export default async function NewPlanPage({ searchParams }: { searchParams: Promise<Query> }) {
  await requirePage('read');
  const q = await searchParams;
  const now = new Date();
  const defaults: NewPlanDefaults = {
    require: (['mtls', 'dpop', 'bound'] as const).find((r) => r === one(q, 'require')) ?? 'mtls',
    maxTtl: one(q, 'maxTtl', 'max-ttl', 'maxTtlSeconds'),
    gateway: one(q, 'gateway'),
    route: one(q, 'route', 'routePrefix'),
    identity: one(q, 'identity', 'nameGlob'),
    kind: one(q, 'kind'),
    from: one(q, 'from') || new Date(now.getTime() - 30 * 86_400_000).toISOString().slice(0, 10),
    to: one(q, 'to') || new Date(now.getTime() + 86_400_000).toISOString().slice(0, 10),
  };
  return (
    <>
      <h1>New rollout plan</h1>
      <p className="muted">
        The policy is simulated over the evidence in the range; every identity it touches lands in one wave. Exceptions: one per line,
        <code> identity-or-glob: reason</code>.
      </p>
      <NewPlanForm defaults={defaults} />
    </>
  );
}
