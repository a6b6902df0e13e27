import type { Metadata } from 'next';
import Link from 'next/link';
import { listPlans } from '@/lib/services/plans/index.ts';
import { requirePage } from '../../_lib/session.ts';

export const metadata: Metadata = { title: 'Rollout plans' };

export default async function PlansPage() {
  const { db } = await requirePage('read');
  const plans = await listPlans(db);
  return (
    <>
      <h1>Rollout plans</h1>
      <p className="muted">
        Staged plans for turning on sender-constrained tokens: built from a simulation of the policy over the evidence, tracked against new evidence
        since they were saved.
      </p>
      <p>
        <Link className="button" href="/plans/new">New rollout plan</Link>
      </p>
      {plans.length === 0 ? (
        <p className="empty">No plans yet. Simulate a policy, then build a rollout plan from it.</p>
      ) : (
        <table className="data">
          <thead>
            <tr>
              <th>Plan</th>
              <th>Saved</th>
              <th>By</th>
              <th>Identities per wave (0 / 1 / 2 / 3)</th>
              <th>Would be refused</th>
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => (
              <tr key={p.id}>
                <td><Link href={`/plans/${p.id}`}>{p.name}</Link></td>
                <td>{p.createdAt.slice(0, 16).replace('T', ' ')}</td>
                <td>{p.createdBy}</td>
                <td>{p.waves.map((w) => w.identities).join(' / ')}</td>
                <td>{p.totals.wouldBeRefused.toLocaleString('en')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
