import type { Metadata } from 'next';
import Link from 'next/link';
import { viewCache } from '@/lib/http/view-cache.ts';
import { getOverview } from '@/lib/services/estate/overview.ts';
import { getSummary } from '@/lib/services/summary.ts';
import { requirePage } from '../_lib/session.ts';
import { fmt, query } from './_components/estate.tsx';
import { BindingMixChart, FailuresByReasonChart, TopIdentitiesChart, TtlChart } from './_components/overview-charts.tsx';

export const metadata: Metadata = { title: 'Overview' };

const PERIODS = [7, 30] as const;

function Delta({ now, then, unit = '', goodWhenDown = false, days }: { now: number; then: number; unit?: string; goodWhenDown?: boolean; days: number }) {
  const d = Math.round((now - then) * 10) / 10;
  if (d === 0) return <span className="muted">no change vs {days} d ago</span>;
  const bad = goodWhenDown ? d > 0 : d < 0;
  return (
    <span style={{ color: bad ? 'var(--bad)' : 'var(--ok)' }} data-testid="trend">
      {d > 0 ? '▲ +' : '▼ '}
      {unit === '%' ? d.toFixed(1) : fmt(d)}
      {unit} vs {days} d ago
    </span>
  );
}

export default async function OverviewPage({ searchParams }: { searchParams: Promise<{ days?: string }> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  const days = PERIODS.find((p) => String(p) === sp.days) ?? 7;
  // Estate-wide figures, the same for every reader: one computation per instance per
  // HOLDFAST_VIEW_CACHE_SECONDS, shared with /api/v1/summary (a write through the API clears it).
  const cache = viewCache(db);
  const [{ value: s, at }, { value: o }] = await Promise.all([
    cache.get('summary', () => getSummary(db)),
    cache.get(`overview:${days}`, () => getOverview(db, { days })),
  ]);
  const fdelta = o.failures24h - o.failuresPrev24h;
  return (
    <>
      <h1>Overview</h1>
      <p className="muted" data-testid="figures-as-of">
        Figures as of {at.toISOString().slice(11, 19)} UTC
        {cache.ttlMs > 0 ? ` · refreshed at most every ${cache.ttlMs / 1000} s` : ''}
      </p>
      <form className="filters" method="get">
        <label>
          Trend period
          <select name="days" defaultValue={String(days)}>
            {PERIODS.map((p) => (
              <option key={p} value={p}>last {p} days</option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <section className="kpis" aria-label="Key figures">
        <div className="kpi" data-testid="kpi-tokens">
          <div className="label">Tokens</div>
          <div className="value"><Link href="/tokens">{fmt(s.tokens.total)}</Link></div>
          <div className="sub">{fmt(s.identities)} identities · <Delta now={o.now.tokens} then={o.then.tokens} days={days} /></div>
        </div>
        <div className="kpi" data-testid="kpi-bearer">
          <div className="label">Bearer</div>
          <div className="value" style={{ color: 'var(--bearer)' }}><Link href="/tokens?binding=bearer" style={{ color: 'inherit' }}>{fmt(s.tokens.bearer)}</Link></div>
          <div className="sub"><Delta now={o.now.bearer} then={o.then.bearer} goodWhenDown days={days} /></div>
        </div>
        <div className="kpi" data-testid="kpi-mtls">
          <div className="label">mTLS-bound</div>
          <div className="value" style={{ color: 'var(--mtls)' }}><Link href="/tokens?binding=mtls" style={{ color: 'inherit' }}>{fmt(s.tokens.mtls)}</Link></div>
          <div className="sub">RFC 8705 · <Delta now={o.now.mtls} then={o.then.mtls} days={days} /></div>
        </div>
        <div className="kpi" data-testid="kpi-dpop">
          <div className="label">DPoP-bound</div>
          <div className="value" style={{ color: 'var(--dpop)' }}><Link href="/tokens?binding=dpop" style={{ color: 'inherit' }}>{fmt(s.tokens.dpop)}</Link></div>
          <div className="sub">RFC 9449 · <Delta now={o.now.dpop} then={o.then.dpop} days={days} /></div>
        </div>
        <div className="kpi" data-testid="kpi-weighted-constrained">
          <div className="label">Sender-constrained, privilege-weighted</div>
          <div className="value">{o.now.weightedConstrainedPct.toFixed(1)}%</div>
          <div className="sub">live tokens, privileged ×3 · <Delta now={o.now.weightedConstrainedPct} then={o.then.weightedConstrainedPct} unit="%" days={days} /></div>
        </div>
        <div className="kpi alert" data-testid="kpi-unbound-high-risk">
          <div className="label">Unbound high-risk</div>
          <div className="value">
            <Link href="/tokens?binding=bearer&risk=high">{fmt(s.tokens.unboundHighRisk)}</Link>
          </div>
          <div className="sub">privileged or agent bearer tokens · <Delta now={o.now.unboundHighRisk} then={o.then.unboundHighRisk} goodWhenDown days={days} /></div>
        </div>
        <div className="kpi alert" data-testid="kpi-exposed">
          <div className="label">Exposed, still active</div>
          <div className="value"><Link href="/tokens?exposure=exposed&status=active">{fmt(s.tokens.exposedActive)}</Link></div>
          <div className="sub">found by a secret scanner · <Delta now={o.now.exposedActive} then={o.then.exposedActive} goodWhenDown days={days} /></div>
        </div>
        <div className="kpi" data-testid="kpi-failures-24h">
          <div className="label">Binding failures 24 h</div>
          <div className="value"><Link href={`/failures${query({ from: o.since24h })}`}>{fmt(o.failures24h)}</Link></div>
          <div className="sub">
            {fdelta === 0 ? 'same as' : fdelta > 0 ? `+${fmt(fdelta)} vs` : `${fmt(fdelta)} vs`} previous 24 h
          </div>
        </div>
      </section>
      <div className="grid2">
        <section className="panel">
          <h2>Binding mix of traffic per day</h2>
          {o.bindingMix.length ? <BindingMixChart rows={o.bindingMix} /> : <p className="empty">No traffic recorded yet.</p>}
          <p className="muted" style={{ fontSize: '0.8rem' }}>
            Requests per day by the binding of the token presented. Show tokens: <Link href="/tokens?binding=bearer">bearer</Link> · <Link href="/tokens?binding=mtls">mTLS</Link> · <Link href="/tokens?binding=dpop">DPoP</Link>
          </p>
        </section>
        <section className="panel">
          <h2>Binding failures per day, by reason</h2>
          {o.failuresByDay.length ? <FailuresByReasonChart rows={o.failuresByDay} /> : <p className="empty">No binding failures recorded yet.</p>}
          <p className="muted" style={{ fontSize: '0.8rem' }}>Click a bar for that day&apos;s events. <Link href="/failures">All binding failures</Link></p>
        </section>
        <section className="panel">
          <h2>Token lifetime (live tokens)</h2>
          <TtlChart rows={o.ttl.map((b) => ({ ...b, href: `/tokens${query(b.query)}` }))} />
          <p className="muted" style={{ fontSize: '0.8rem' }}>
            {o.ttl.map((b, i) => (
              <span key={b.bucket}>
                {i ? ' · ' : ''}
                <Link href={`/tokens${query(b.query)}`}>{b.label}: {fmt(b.bearer + b.mtls + b.dpop)}</Link>
              </span>
            ))}
          </p>
        </section>
        <section className="panel">
          <h2>Top identities by risk</h2>
          {o.topIdentities.length ? <TopIdentitiesChart rows={o.topIdentities} /> : <p className="empty">No open findings.</p>}
          <ol style={{ fontSize: '0.85rem', margin: 0 }} data-testid="top-identities">
            {o.topIdentities.slice(0, 5).map((i) => (
              <li key={i.id}>
                <Link href={`/identities/${i.id}`} className="mono">{i.name}</Link> — score {i.score}, {i.findings} open findings
              </li>
            ))}
          </ol>
        </section>
      </div>
    </>
  );
}
