import type { Metadata } from 'next';
import Link from 'next/link';
import { viewCache } from '@/lib/http/view-cache.ts';
import { getOverview } from '@/lib/services/estate/overview.ts';
import { getSummary } from '@/lib/services/summary.ts';
import { requirePage } from '../_lib/session.ts';
import type { ReactNode } from 'react';
import { fmt, query, when } from './_components/estate.tsx';
import { verdictLabel } from './_components/labels.tsx';
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

/** A chart's text alternative: its data as a table, folded away for sighted readers who have the chart. */
function ChartTable({ caption, head, rows }: { caption: string; head: string[]; rows: ReactNode[][] }) {
  if (rows.length === 0) return null;
  return (
    <details className="chart-data">
      <summary>Data table: {caption.toLowerCase()}</summary>
      <table className="data">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>{head.map((h, i) => <th key={h} className={i ? 'num' : undefined}>{h}</th>)}</tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>{r.map((c, j) => <td key={j} className={j ? 'num' : undefined}>{c}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </details>
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
        Figures as of {when(at.toISOString(), { seconds: true })}
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
          <ChartTable
            caption="Requests per day by token binding"
            head={['Day', 'Bearer', 'mTLS', 'DPoP']}
            rows={o.bindingMix.map((r) => [when(`${r.day}T00:00:00Z`).replace(', 00:00 UTC', ''), fmt(r.bearer), fmt(r.mtls), fmt(r.dpop)])}
          />
        </section>
        <section className="panel">
          <h2>Binding failures per day, by reason</h2>
          {o.failuresByDay.length ? <FailuresByReasonChart rows={o.failuresByDay} /> : <p className="empty">No binding failures recorded yet.</p>}
          <p className="muted" style={{ fontSize: '0.8rem' }}>Click a bar for that day&apos;s events. <Link href="/failures">All binding failures</Link></p>
          <ChartTable
            caption="Binding failures per day and reason"
            head={['Day', 'Reason', 'Failures']}
            rows={o.failuresByDay.map((r) => [
              when(`${r.day}T00:00:00Z`).replace(', 00:00 UTC', ''),
              <Link key="v" href={`/failures${query({ verdict: r.verdict, from: `${r.day}T00:00:00.000Z`, to: new Date(Date.parse(`${r.day}T00:00:00Z`) + 86_400_000).toISOString() })}`}>{verdictLabel(r.verdict)}</Link>,
              fmt(r.n),
            ])}
          />
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
          <ChartTable
            caption="Live tokens by lifetime and binding"
            head={['Lifetime', 'Bearer', 'mTLS', 'DPoP']}
            rows={o.ttl.map((b) => [
              <Link key="l" href={`/tokens${query(b.query)}`}>{b.label}</Link>,
              ...(['bearer', 'mtls', 'dpop'] as const).map((bd) => <Link key={bd} href={`/tokens${query({ ...b.query, binding: bd })}`}>{fmt(b[bd])}</Link>),
            ])}
          />
        </section>
        <section className="panel">
          <h2>Top identities by risk</h2>
          <p className="muted" style={{ fontSize: '0.8rem', marginTop: 0 }}>Ranked by open critical findings, then open high findings, then blast radius (tokens and routes their findings reach). Click a bar for those findings.</p>
          {o.topIdentities.length ? <TopIdentitiesChart rows={o.topIdentities} /> : <p className="empty">No open findings.</p>}
          <ol style={{ fontSize: '0.85rem', margin: 0 }} data-testid="top-identities">
            {o.topIdentities.map((i) => (
              <li key={i.id}>
                <Link href={`/identities/${i.id}`} className="mono">{i.name}</Link> —{' '}
                <Link href={`/findings?identity=${i.id}&severity=critical`}>{i.critical} critical</Link>,{' '}
                <Link href={`/findings?identity=${i.id}&severity=high`}>{i.high} high</Link> of {i.findings} open findings · blast radius {fmt(i.blastRadius)}
              </li>
            ))}
          </ol>
        </section>
      </div>
    </>
  );
}
