import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/permissions.ts';
import { HoldfastError } from '@/lib/errors.ts';
import { controlEvidence, evidenceCounts, frameworkOverview, listFrameworkSummaries, type ControlEvidence } from '@/lib/services/frameworks/index.ts';
import { requirePage } from '../../_lib/session.ts';
import { CoverageChart } from './coverage-chart.tsx';
import { CustomFrameworkForm } from './custom-framework-form.tsx';
import { ExportButtons } from './export-buttons.tsx';

export const metadata: Metadata = { title: 'Frameworks' };

const STATUS_WORDS: Record<string, string> = {
  satisfied: 'Satisfied',
  partially_satisfied: 'Partially satisfied',
  not_satisfied: 'Not satisfied',
  not_assessed: 'Not assessed',
};

function instant(v: string | undefined): Date | null {
  if (!v || !/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/.test(v)) return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

function href(framework: string, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams({ framework });
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return `/frameworks?${q.toString()}`;
}

export default async function FrameworksPage({ searchParams }: { searchParams: Promise<{ framework?: string; control?: string; from?: string; to?: string }> }) {
  const { db, principal } = await requirePage('read');
  const sp = await searchParams;
  const from = instant(sp.from);
  const to = instant(sp.to);
  const range = { from, to: to && (!from || from <= to) ? to : null };
  const evidence = await evidenceCounts(db, range);
  const summaries = await listFrameworkSummaries(db, range, { evidence });
  const selected = summaries.find((f) => f.id === sp.framework) ?? summaries.find((f) => f.id === 'nist-csf-2.0') ?? summaries[0]!;
  const overview = await frameworkOverview(db, selected.id, range, { evidence });
  let detail: ControlEvidence | null = null;
  if (sp.control) {
    try {
      detail = await controlEvidence(db, selected.id, sp.control, { overview });
    } catch (e) {
      if (!(e instanceof HoldfastError && e.code === 'not_found')) throw e;
    }
  }
  const isCsf = selected.id === 'nist-csf-2.0';
  const mayExport = can(principal, 'export');
  const rangeParams = { from: sp.from && from ? sp.from : undefined, to: sp.to && range.to ? sp.to : undefined };

  return (
    <>
      <h1>Frameworks</h1>
      <form className="filters" method="get">
        <label>
          Framework
          <select name="framework" defaultValue={selected.id} aria-label="Framework">
            {summaries.map((f) => (
              <option key={f.id} value={f.id}>{f.name} {f.version}{f.custom ? ' (custom)' : ''}</option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" name="from" defaultValue={sp.from?.slice(0, 10)} />
        </label>
        <label>
          To
          <input type="date" name="to" defaultValue={sp.to?.slice(0, 10)} />
        </label>
        <button type="submit">Show</button>
      </form>

      <div className="panel">
        <h2>Coverage</h2>
        <nav className="filters" aria-label="Frameworks">
          {summaries.map((f) => (
            <Link key={f.id} href={href(f.id, rangeParams)} aria-current={f.id === selected.id ? 'page' : undefined}>
              {f.name} {f.version}
            </Link>
          ))}
        </nav>
        <CoverageChart rows={summaries.map((f) => ({ id: f.id, name: f.name, ...f.totals }))} />
      </div>

      <div className="panel" data-testid="framework">
        <h2>
          {selected.name} {selected.version} <span className="muted">· catalog {selected.catalogVersion} · {selected.publisher}</span>
        </h2>
        <p className="muted">
          {overview.totals.satisfied} satisfied · {overview.totals.partially_satisfied} partially satisfied · {overview.totals.not_satisfied} not satisfied ·{' '}
          {overview.totals.not_assessed} not assessed — evidence up to {overview.range.to.slice(0, 16).replace('T', ' ')} UTC
          {overview.range.from ? ` from ${overview.range.from.slice(0, 10)}` : ''}. A control without evidence is not assessed, never satisfied.
        </p>
        {mayExport && <ExportButtons framework={selected.id} from={range.from?.toISOString()} to={range.to?.toISOString()} />}
        <table className="data" data-testid="controls">
          <thead>
            <tr>
              <th>Control</th>
              {isCsf && <th>From CSF 1.1</th>}
              <th>Title</th>
              <th>Status</th>
              <th>Open findings</th>
              <th title="Unresolved findings of the mapped rules now vs 7 days before the end of the range">Trend (7 d)</th>
              <th>Critical / high</th>
              <th>Checks passed</th>
              <th>Checks failed</th>
              <th>Evidence</th>
            </tr>
          </thead>
          <tbody>
            {overview.controls.map((c) => (
              <tr key={c.id} className={detail?.control.id === c.id ? 'selected' : undefined} data-testid={`control-${c.id}`}>
                <td className="mono">
                  <Link href={`${href(selected.id, { ...rangeParams, control: c.id })}#evidence`}>{c.id}</Link>
                </td>
                {isCsf && <td className="mono">{c.csf11.length ? c.csf11.map((x) => `${x} → ${c.id}`).join(', ') : '—'}</td>}
                <td>{c.title}</td>
                <td><span className={`badge ${c.status}`}>{STATUS_WORDS[c.status]}</span></td>
                <td>{c.counts.openFindings}</td>
                <td data-testid={`trend-${c.id}`} style={{ whiteSpace: 'nowrap', color: c.trend.delta > 0 ? 'var(--bad)' : c.trend.delta < 0 ? 'var(--ok)' : 'var(--muted)' }}>
                  {c.trend.delta > 0 ? `▲ +${c.trend.delta}` : c.trend.delta < 0 ? `▼ ${c.trend.delta}` : '= 0'}
                  <span className="muted"> (was {c.trend.previous})</span>
                </td>
                <td>{(c.counts.bySeverity.critical ?? 0) + (c.counts.bySeverity.high ?? 0)}</td>
                <td>{c.counts.positivePass}</td>
                <td>{c.counts.positiveFail}</td>
                <td>
                  {c.evidence.length === 0 ? <span className="muted">no evidence mapped</span> : c.evidence.map((e, i) => (
                    <span key={e.subject}>
                      {i > 0 && ', '}
                      <a href={e.href} title={e.rationale} className={e.evaluated ? undefined : 'muted'}>{e.subject}</a>
                    </span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      {can(principal, 'admin') && (
        <details className="panel">
          <summary>Add a custom framework</summary>
          <CustomFrameworkForm />
        </details>
      )}

      {detail && (
        <div className="panel" id="evidence" data-testid="evidence">
          <h2>
            Evidence for {detail.control.id} <span className="muted">{detail.control.title}</span>
          </h2>
          <p>
            Status <span className={`badge ${detail.control.status}`}>{STATUS_WORDS[detail.control.status]}</span> · {detail.control.counts.openFindings} open findings ·{' '}
            {detail.tokens} tokens · {detail.identities.length} identities shown
          </p>
          <table className="data">
            <thead><tr><th>Evidence</th><th>Kind</th><th>Why it bears on the control</th><th>Open findings</th><th>Passed</th><th>Failed</th><th>Evaluated</th></tr></thead>
            <tbody>
              {detail.control.evidence.map((e) => (
                <tr key={e.subject}>
                  <td className="mono"><a href={e.href}>{e.subject}</a></td>
                  <td>{e.kind === 'finding_rule' ? 'finding rule' : 'positive check'}</td>
                  <td>{e.rationale}{e.definition ? <div className="muted">{e.definition}</div> : null}</td>
                  <td>{e.openFindings}</td>
                  <td>{e.pass}</td>
                  <td>{e.fail}</td>
                  <td>{e.evaluated ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="grid2">
            <div>
              <h2>Top open findings</h2>
              {detail.findings.length === 0 ? <p className="empty">No open findings for this control.</p> : (
                <table className="data">
                  <thead><tr><th>Severity</th><th>Finding</th><th>Identity</th><th>Token</th></tr></thead>
                  <tbody>
                    {detail.findings.map((f) => (
                      <tr key={f.id}>
                        <td><span className={`badge ${f.severity}`}>{f.severity}</span></td>
                        <td><a href={`/findings?rule=${encodeURIComponent(f.rule)}`}>{f.title}</a></td>
                        <td className="mono">{f.identity ?? '—'}</td>
                        <td className="mono">{f.tokenId && f.tokenFingerprint ? <a href={`/tokens/${f.tokenId}`}>{f.tokenFingerprint.slice(0, 10)}…</a> : '—'}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
            <div>
              <h2>Identities</h2>
              {detail.identities.length === 0 ? <p className="empty">No identity has an open finding here.</p> : (
                <table className="data">
                  <thead><tr><th>Identity</th><th>Kind</th><th>Open findings</th></tr></thead>
                  <tbody>
                    {detail.identities.map((i) => (
                      <tr key={i.id}>
                        <td className="mono"><a href={`/identities/${i.id}`}>{i.name}</a></td>
                        <td>{i.kind}</td>
                        <td><a href={`/findings?identity=${i.id}`}>{i.openFindings}</a></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </div>
          </div>
        </div>
      )}
    </>
  );
}
