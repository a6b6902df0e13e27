import { BINDINGS } from '@/lib/domain/types.ts';
import type { Metadata } from 'next';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { BUCKET_MS, bucketRange } from '@/lib/domain/time-bucket.ts';
import { viewCache } from '@/lib/http/view-cache.ts';
import { getOverview } from '@/lib/services/estate/overview.ts';
import { legacyDaysFrom, resolveTimeWindow, windowStartWords, type TimeWindow } from '@/lib/services/estate/time-window.ts';
import { getSummary } from '@/lib/services/summary.ts';
import { requirePage } from '../_lib/session.ts';
import type { ReactNode } from 'react';
import { FilterError, fmt, query, when } from './_components/estate.tsx';
import { verdictLabel } from './_components/labels.tsx';
import { BindingMixChart, FailuresByReasonChart, TopIdentitiesChart, TtlChart } from './_components/overview-charts.tsx';
import { TimeRangePicker } from './_components/time-range.tsx';

export const metadata: Metadata = { title: 'Overview' };

type SP = Record<string, string | string[] | undefined>;

/** The window shown when the URL names none (stated on the page by the picker). */
const DEFAULT_FROM = 'now-7d';

function Delta({ now, then, unit = '', goodWhenDown = false, since }: { now: number; then: number; unit?: string; goodWhenDown?: boolean; since: string }) {
  const d = Math.round((now - then) * 10) / 10;
  if (d === 0) return <span className="muted">no change vs {since}</span>;
  const bad = goodWhenDown ? d > 0 : d < 0;
  return (
    <span style={{ color: bad ? 'var(--bad)' : 'var(--ok)' }} data-testid="trend">
      {d > 0 ? '▲ +' : '▼ '}
      {unit === '%' ? d.toFixed(1) : fmt(d)}
      {unit} vs {since}
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

export default async function OverviewPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  let w: TimeWindow;
  let legacyFrom: string | undefined;
  try {
    // `?days=N` from before the shared picker means `from=now-Nd` (redirected below, so the picker shows it).
    legacyFrom = sp.from === undefined && sp.to === undefined ? legacyDaysFrom(sp) : undefined;
    w = resolveTimeWindow(sp, { now: new Date(), defaultFrom: DEFAULT_FROM });
  } catch (e) {
    return (
      <>
        <h1>Overview</h1>
        <TimeRangePicker defaultFrom={DEFAULT_FROM} label="Trend window" />
        <FilterError error={e} />
        <Link href="/">Show the default window</Link>
      </>
    );
  }
  // Outside the try: redirect() works by throwing.
  if (legacyFrom) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(sp)) if (k !== 'days' && typeof v === 'string') q.set(k, v);
    q.set('from', legacyFrom);
    redirect(`/?${q.toString()}`);
  }
  // Estate-wide figures, the same for every reader: one computation per instance per window per
  // HOLDFAST_VIEW_CACHE_SECONDS, shared with /api/v1/summary (a write through the API clears it).
  // A relative window ends on a whole minute, so its key is the same for a minute of readers.
  const cache = viewCache(db);
  const [{ value: s, at }, { value: o }] = await Promise.all([
    cache.get('summary', () => getSummary(db)),
    cache.get(`overview:${w.from.toISOString()}/${w.to.toISOString()}/${w.bucket}`, () => getOverview(db, w)),
  ]);
  const since = windowStartWords(w);
  const fdelta = o.failures24h - o.failuresPrev24h;
  const perBucket = o.window.bucket === 'hour' ? 'hour' : 'day';
  // A window rarely starts or ends on a bucket boundary: say so rather than let a short first bar look like a drop.
  const cut = (iso: string) => Date.parse(iso) % BUCKET_MS[o.window.bucket] !== 0;
  const partialEnds = cut(o.window.from) || cut(o.window.to) ? ` The first and last ${perBucket}s hold only the part inside the window.` : '';
  const bucketWords = (start: string) => (o.window.bucket === 'hour' ? when(start) : when(start).replace(', 00:00 UTC', ''));
  return (
    <>
      <h1>Overview</h1>
      <TimeRangePicker defaultFrom={DEFAULT_FROM} label="Trend window" />
      <p className="muted" data-testid="figures-as-of">
        Figures as of {when(at.toISOString(), { seconds: true })}
        {cache.ttlMs > 0 ? ` · refreshed at most every ${cache.ttlMs / 1000} s` : ''} · trends compare {when(o.window.to)} with {when(o.window.from)}
      </p>
      <section className="kpis" aria-label="Key figures">
        <div className="kpi" data-testid="kpi-tokens">
          <div className="label">Tokens</div>
          <div className="value"><Link href="/tokens">{fmt(s.tokens.total)}</Link></div>
          <div className="sub">{fmt(s.identities)} identities · <Delta now={o.now.tokens} then={o.then.tokens} since={since} /></div>
        </div>
        <div className="kpi" data-testid="kpi-bearer">
          <div className="label">Bearer</div>
          <div className="value" style={{ color: 'var(--bearer)' }}><Link href="/tokens?binding=bearer" style={{ color: 'inherit' }}>{fmt(s.tokens.bearer)}</Link></div>
          <div className="sub"><Delta now={o.now.bearer} then={o.then.bearer} goodWhenDown since={since} /></div>
        </div>
        <div className="kpi" data-testid="kpi-mtls">
          <div className="label">mTLS-bound</div>
          <div className="value" style={{ color: 'var(--mtls)' }}><Link href="/tokens?binding=mtls" style={{ color: 'inherit' }}>{fmt(s.tokens.mtls)}</Link></div>
          <div className="sub">RFC 8705 · <Delta now={o.now.mtls} then={o.then.mtls} since={since} /></div>
        </div>
        <div className="kpi" data-testid="kpi-dpop">
          <div className="label">DPoP-bound</div>
          <div className="value" style={{ color: 'var(--dpop)' }}><Link href="/tokens?binding=dpop" style={{ color: 'inherit' }}>{fmt(s.tokens.dpop)}</Link></div>
          <div className="sub">RFC 9449 · <Delta now={o.now.dpop} then={o.then.dpop} since={since} /></div>
        </div>
        <div className="kpi" data-testid="kpi-weighted-constrained">
          <div className="label">Sender-constrained, privilege-weighted</div>
          <div className="value">{o.now.weightedConstrainedPct.toFixed(1)}%</div>
          <div className="sub">live tokens, privileged ×3 · <Delta now={o.now.weightedConstrainedPct} then={o.then.weightedConstrainedPct} unit="%" since={since} /></div>
        </div>
        <div className="kpi alert" data-testid="kpi-unbound-high-risk">
          <div className="label">Unbound high-risk</div>
          <div className="value">
            <Link href="/tokens?binding=bearer&risk=high">{fmt(s.tokens.unboundHighRisk)}</Link>
          </div>
          <div className="sub">privileged or agent bearer tokens · <Delta now={o.now.unboundHighRisk} then={o.then.unboundHighRisk} goodWhenDown since={since} /></div>
        </div>
        <div className="kpi alert" data-testid="kpi-exposed">
          <div className="label">Exposed, still active</div>
          <div className="value"><Link href="/tokens?exposure=exposed&status=active">{fmt(s.tokens.exposedActive)}</Link></div>
          <div className="sub">found by a secret scanner · <Delta now={o.now.exposedActive} then={o.then.exposedActive} goodWhenDown since={since} /></div>
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
          <h2>Binding mix of traffic per {perBucket}</h2>
          {o.bindingMix.length ? <BindingMixChart rows={o.bindingMix} bucket={o.window.bucket} /> : <p className="empty">No traffic in this window.</p>}
          <p className="muted" style={{ fontSize: '0.8rem' }}>
            Requests per {perBucket} (UTC) by the binding of the token presented, counted in whole hours.{o.window.bucket === 'day' ? partialEnds : ''} Show tokens: <Link href="/tokens?binding=bearer">bearer</Link> · <Link href="/tokens?binding=mtls">mTLS</Link> · <Link href="/tokens?binding=dpop">DPoP</Link>
          </p>
          <ChartTable
            caption={`Requests per ${perBucket} by token binding`}
            head={[o.window.bucket === 'hour' ? 'Hour' : 'Day', 'Bearer', 'mTLS', 'DPoP']}
            rows={o.bindingMix.map((r) => [bucketWords(r.start), fmt(r.bearer), fmt(r.mtls), fmt(r.dpop)])}
          />
        </section>
        <section className="panel">
          <h2>Binding failures per {perBucket}, by reason</h2>
          {o.failuresOverTime.length ? <FailuresByReasonChart rows={o.failuresOverTime} bucket={o.window.bucket} within={o.window} /> : <p className="empty">No binding failures in this window.</p>}
          <p className="muted" style={{ fontSize: '0.8rem' }}>Click a bar for that {perBucket}&apos;s events.{partialEnds} <Link href={`/failures${query({ from: w.fromText, to: w.toText })}`}>Binding failures in this window</Link></p>
          <ChartTable
            caption={`Binding failures per ${perBucket} and reason`}
            head={[o.window.bucket === 'hour' ? 'Hour' : 'Day', 'Reason', 'Failures']}
            rows={o.failuresOverTime.map((r) => [
              bucketWords(r.start),
              <Link key="v" href={`/failures${query({ verdict: r.verdict, ...bucketRange(r.start, o.window.bucket, o.window) })}`}>{verdictLabel(r.verdict)}</Link>,
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
              ...BINDINGS.map((bd) => <Link key={bd} href={`/tokens${query({ ...b.query, binding: bd })}`}>{fmt(b[bd])}</Link>),
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
