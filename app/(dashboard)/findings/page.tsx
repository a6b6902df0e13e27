import type { Metadata } from 'next';
import Link from 'next/link';
import { can } from '@/lib/auth/permissions.ts';
import { FINDING_RULES } from '@/lib/domain/types.ts';
import { RULE_LABELS } from '@/lib/risk/index.ts';
import { listFindings, parseFindingFilters, type FindingFilters, type FindingRow } from '@/lib/services/estate/lists.ts';
import type { Page } from '@/lib/services/estate/query.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt } from '../_components/estate.tsx';
import { Pager } from '../_components/pager.tsx';
import { AckQueue } from './ack-queue.tsx';

export const metadata: Metadata = { title: 'Findings' };

type SP = Record<string, string | string[] | undefined>;

export default async function FindingsPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db, principal } = await requirePage('read');
  const sp = await searchParams;
  let f: FindingFilters;
  let page: Page<FindingRow>;
  let counts: { rule: string; n: number }[];
  try {
    f = parseFindingFilters(sp);
    [page, counts] = await Promise.all([
      listFindings(db, f, sp),
      db.query<{ rule: string; n: number }>(`SELECT rule, count(*)::int AS n FROM "Finding" WHERE status = 'open' OR (status = 'acknowledged' AND "ackUntil" <= now()) GROUP BY rule ORDER BY n DESC`),
    ]);
  } catch (e) {
    return (
      <>
        <h1>Findings</h1>
        <FilterError error={e} />
        <Link href="/findings">Clear filters</Link>
      </>
    );
  }
  const params = { rule: f.rule, severity: f.severity, status: f.status === 'open' ? undefined : f.status, identity: f.identity, token: f.token };
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  return (
    <>
      <h1>Findings{f.status === 'open' ? ' — open queue' : `: ${f.status}`}</h1>
      <p className="muted" style={{ fontSize: '0.85rem' }}>
        Most urgent first: severity, then blast radius (what a thief could reach with the credential), then recency. Open by rule:{' '}
        {counts.map((c, i) => (
          <span key={c.rule}>{i ? ' · ' : ''}<Link href={`/findings?rule=${c.rule}`}>{RULE_LABELS[c.rule as keyof typeof RULE_LABELS] ?? c.rule} {fmt(Number(c.n))}</Link></span>
        ))}
      </p>
      <form className="filters" method="get" aria-label="Finding filters">
        <label>
          Rule
          <select name="rule" defaultValue={f.rule ?? ''}>
            <option value="">any</option>
            {FINDING_RULES.map((r) => <option key={r} value={r}>{r}</option>)}
          </select>
        </label>
        <label>
          Severity
          <select name="severity" defaultValue={f.severity ?? ''}>
            <option value="">any</option>
            {['critical', 'high', 'medium', 'low', 'info'].map((s) => <option key={s} value={s}>{s}</option>)}
          </select>
        </label>
        <label>
          Status
          <select name="status" defaultValue={f.status}>
            <option value="open">open</option>
            <option value="acknowledged">acknowledged (risk accepted)</option>
            <option value="active">open or acknowledged</option>
            <option value="resolved">resolved</option>
            <option value="all">all</option>
          </select>
        </label>
        <label>Identity<input name="identity" defaultValue={f.identity ?? ''} style={{ width: '10rem' }} /></label>
        {f.token ? <input type="hidden" name="token" value={f.token} /> : null}
        <button type="submit">Apply</button>
        <Link href="/findings">Clear</Link>
      </form>
      <div className="panel">
        <div style={{ display: 'flex', justifyContent: 'flex-end', marginBottom: '0.5rem' }}>
          <ExportLinks api="findings" params={params} />
        </div>
        {page.items.length === 0 ? (
          <p className="empty">No findings match. The findings engine evaluates the estate after each ingest batch.</p>
        ) : (
          <AckQueue rows={page.items} canAck={can(principal, 'read')} canRevoke={can(principal, 'revoke')} />
        )}
        <Pager basePath="/findings" params={{ ...params, after }} nextCursor={page.nextCursor} />
      </div>
    </>
  );
}
