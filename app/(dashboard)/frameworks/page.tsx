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

/**
 * Truncated cell text: one line, ellipsis, the full text in the title, so the controls table fits
 * its panel at 1280 px. On a block inside the cell: browsers ignore max-width on table cells.
 */
const TRUNC = { maxWidth: '11rem', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' } as const;

/** The "why" half of a status-evidence sentence (the counts have their own columns). */
const why = (text: string) => text.split(' — ')[1] ?? text;

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
        <CoverageChart rows={summaries.map((f) => ({ id: f.id, name: f.name, controls: f.controls, ...f.totals }))} />
      </div>

      <div className="panel" data-testid="framework">
        <h2>
          {selected.name} {selected.version} <span className="muted">· catalog {selected.catalogVersion} · {selected.publisher}</span>
        </h2>
        <p className="muted">
          {overview.totals.satisfied} satisfied · {overview.totals.partially_satisfied} partially satisfied · {overview.totals.not_satisfied} not satisfied ·{' '}
          {overview.totals.not_assessed} not assessed — evidence up to {overview.range.to.slice(0, 16).replace('T', ' ')} UTC
          {overview.range.from ? ` from ${overview.range.from.slice(0, 10)}` : ''}. A control is satisfied only on evidence — a check that passed, or a mapped
          rule that ran in the range and found nothing open; with neither it is not assessed. Each status says what it rests on.
        </p>
        {mayExport && <ExportButtons framework={selected.id} from={range.from?.toISOString()} to={range.to?.toISOString()} />}
        <table className="data fit" data-testid="controls" style={{ tableLayout: 'auto' }}>
          <thead>
            <tr>
              <th>Control</th>
              <th>Title</th>
              <th>Status and why</th>
              <th className="num" title="Open findings of the mapped rules (critical or high below)">Open</th>
              <th className="num" title="Positive checks in the range: passed / failed">Checks ✓/✗</th>
              <th title="Unresolved findings of the mapped rules now vs 7 days before the end of the range">Trend 7 d</th>
              <th>Evidence</th>
            </tr>
          </thead>
          <tbody>
            {overview.controls.map((c) => (
              <tr key={c.id} className={detail?.control.id === c.id ? 'selected' : undefined} data-testid={`control-${c.id}`}>
                <td className="mono" style={{ whiteSpace: 'nowrap' }}>
                  <Link href={`${href(selected.id, { ...rangeParams, control: c.id })}#evidence`}>{c.id}</Link>
                  {isCsf && c.csf11.length > 0 && (
                    <div className="muted" style={{ ...TRUNC, maxWidth: '9rem', fontSize: '0.75rem' }} title={`From CSF 1.1: ${c.csf11.join(', ')}`}>
                      {c.csf11.map((x) => `${x} → ${c.id}`).join(', ')}
                    </div>
                  )}
                </td>
                <td title={c.title}><div style={TRUNC}>{c.title}</div></td>
                <td data-testid={`status-${c.id}`}>
                  <div style={{ width: '12rem' }}>
                    <span className={`badge ${c.status}`}>{STATUS_WORDS[c.status]}</span>
                    <div className="muted" style={{ fontSize: '0.78rem' }} data-testid="status-why" title={c.statusEvidence.text}>{why(c.statusEvidence.text)}</div>
                  </div>
                </td>
                <td className="num" data-testid="open-findings">
                  {c.statusEvidence.openFindings}
                  {c.statusEvidence.criticalHigh > 0 && <div className="muted" style={{ fontSize: '0.78rem' }}>{c.statusEvidence.criticalHigh} crit./high</div>}
                </td>
                <td className="num" data-testid="checks" style={{ whiteSpace: 'nowrap' }}>
                  {c.statusEvidence.checksPassed + c.statusEvidence.checksFailed === 0 ? <span className="muted">none</span> : `${c.statusEvidence.checksPassed} / ${c.statusEvidence.checksFailed}`}
                </td>
                <td data-testid={`trend-${c.id}`} style={{ whiteSpace: 'nowrap', color: c.trend.delta > 0 ? 'var(--bad)' : c.trend.delta < 0 ? 'var(--ok)' : 'var(--muted)' }}>
                  {c.trend.delta > 0 ? `▲ +${c.trend.delta}` : c.trend.delta < 0 ? `▼ ${c.trend.delta}` : '= 0'}
                  <div className="muted" style={{ fontSize: '0.78rem' }}>was {c.trend.previous}</div>
                </td>
                <td title={c.evidence.map((e) => `${e.subject}: ${e.kind === 'finding_rule' ? (e.evaluated ? `${e.openFindings} open` : 'not run') : e.evaluated ? `${e.pass} passed, ${e.fail} failed` : 'no check ran'}`).join('\n')}>
                  <div style={{ ...TRUNC, maxWidth: '8rem' }}>
                    {c.evidence.length === 0 ? <span className="muted">no evidence mapped</span> : c.evidence.map((e, i) => (
                      <span key={e.subject}>
                        {i > 0 && ', '}
                        <a href={e.href} title={e.rationale} className={e.evaluated ? undefined : 'muted'}>{e.subject}</a>
                      </span>
                    ))}
                  </div>
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
          <p data-testid="evidence-status-why">{detail.control.statusEvidence.text}</p>
          {isCsf && detail.control.csf11.length > 0 && <p className="muted">From CSF 1.1: {detail.control.csf11.join(', ')}</p>}
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
