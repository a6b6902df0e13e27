import type { Metadata } from 'next';
import { listScopeChoices } from '@/lib/services/simulation/index.ts';
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
 * The simulate page links here with its own query (require, maxTtl, source, gateway, route, kind,
 * identity, privileged, audience, from, to; the CLI's flag names where the CLI has one), so the
 * plan starts from the policy the operator just simulated, every selector of it.
 */
export default async function NewPlanPage({ searchParams }: { searchParams: Promise<Query> }) {
  const { db } = await requirePage('read');
  const q = await searchParams;
  const { sources } = await listScopeChoices(db);
  const privileged = one(q, 'privileged');
  const now = new Date();
  const defaults: NewPlanDefaults = {
    require: (['mtls', 'dpop', 'bound'] as const).find((r) => r === one(q, 'require')) ?? 'mtls',
    maxTtl: one(q, 'maxTtl', 'max-ttl', 'maxTtlSeconds'),
    source: one(q, 'source'),
    gateway: one(q, 'gateway'),
    route: one(q, 'route', 'routePrefix'),
    identity: one(q, 'identity', 'nameGlob'),
    kind: one(q, 'kind'),
    privileged: privileged === 'yes' || privileged === 'true' ? 'yes' : privileged === 'no' || privileged === 'false' ? 'no' : '',
    audience: one(q, 'audience'),
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
      <NewPlanForm defaults={defaults} sources={sources} />
    </>
  );
}
