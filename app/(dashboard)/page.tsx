import type { Metadata } from 'next';
import Link from 'next/link';
import { getOverviewStats, getSummary } from '@/lib/services/summary.ts';
import { requirePage } from '../_lib/session.ts';
import { FailuresChart } from './_components/failures-chart.tsx';

export const metadata: Metadata = { title: 'Overview' };

const fmt = (n: number) => n.toLocaleString('en-US');

export default async function OverviewPage() {
  const { db } = await requirePage('read');
  const [s, o] = await Promise.all([getSummary(db), getOverviewStats(db)]);
  const constrained = s.tokens.mtls + s.tokens.dpop;
  const pct = s.tokens.total ? Math.round((constrained / s.tokens.total) * 100) : 0;
  const delta = o.failures24h - o.failuresPrev24h;
  return (
    <>
      <h1>Overview</h1>
      <section className="kpis" aria-label="Key figures">
        <div className="kpi" data-testid="kpi-tokens">
          <div className="label">Tokens</div>
          <div className="value">{fmt(s.tokens.total)}</div>
          <div className="sub">{fmt(s.identities)} identities · {pct}% sender-constrained</div>
        </div>
        <div className="kpi" data-testid="kpi-bearer">
          <div className="label">Bearer</div>
          <div className="value" style={{ color: 'var(--bearer)' }}>{fmt(s.tokens.bearer)}</div>
          <div className="sub">replayable by whoever holds them</div>
        </div>
        <div className="kpi" data-testid="kpi-mtls">
          <div className="label">mTLS-bound</div>
          <div className="value" style={{ color: 'var(--mtls)' }}>{fmt(s.tokens.mtls)}</div>
          <div className="sub">RFC 8705</div>
        </div>
        <div className="kpi" data-testid="kpi-dpop">
          <div className="label">DPoP-bound</div>
          <div className="value" style={{ color: 'var(--dpop)' }}>{fmt(s.tokens.dpop)}</div>
          <div className="sub">RFC 9449</div>
        </div>
        <div className="kpi alert" data-testid="kpi-unbound-high-risk">
          <div className="label">Unbound high-risk</div>
          <div className="value">
            <Link href="/tokens?binding=bearer&risk=high">{fmt(s.tokens.unboundHighRisk)}</Link>
          </div>
          <div className="sub">privileged or agent bearer tokens</div>
        </div>
        <div className="kpi alert" data-testid="kpi-exposed">
          <div className="label">Exposed, still active</div>
          <div className="value">{fmt(s.tokens.exposedActive)}</div>
          <div className="sub">found by a secret scanner</div>
        </div>
        <div className="kpi" data-testid="kpi-failures-24h">
          <div className="label">Binding failures 24 h</div>
          <div className="value">{fmt(o.failures24h)}</div>
          <div className="sub">
            {delta === 0 ? 'same as' : delta > 0 ? `+${fmt(delta)} vs` : `${fmt(delta)} vs`} previous 24 h
          </div>
        </div>
      </section>
      <section className="panel">
        <h2>Binding failures per day, by verdict (last 14 days)</h2>
        {o.failuresByDay.length ? <FailuresChart rows={o.failuresByDay} /> : <p className="empty">No binding failures recorded yet.</p>}
      </section>
    </>
  );
}
