import type { Metadata } from 'next';
import Link from 'next/link';
import { EVENT_GROUPS, groupEvents, listEvents, parseEventFilters, type EventFilters, type EventRow } from '@/lib/services/estate/lists.ts';
import { oneOf, type Page } from '@/lib/services/estate/query.ts';
import { VERDICTS } from '@/lib/domain/types.ts';
import { requirePage } from '../../_lib/session.ts';
import { ExportLinks, FilterError, fmt, IdentityLink, query, when } from '../_components/estate.tsx';
import { Pager } from '../_components/pager.tsx';

export const metadata: Metadata = { title: 'Binding failures' };

type SP = Record<string, string | string[] | undefined>;

export default async function FailuresPage({ searchParams }: { searchParams: Promise<SP> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  let f: EventFilters;
  let by: (typeof EVENT_GROUPS)[number];
  let page: Page<EventRow>;
  let groups: Awaited<ReturnType<typeof groupEvents>>;
  try {
    const parsed = parseEventFilters(sp);
    // Binding failures by default: distinct from generic auth failures (bearer_unbound, token_expired).
    f = { ...parsed, failures: parsed.failures ?? (parsed.verdict ? undefined : 'binding') };
    by = oneOf(sp, 'group', EVENT_GROUPS) ?? 'reason';
    [page, groups] = await Promise.all([listEvents(db, f, sp), groupEvents(db, f, by)]);
  } catch (e) {
    return (
      <>
        <h1>Binding failures</h1>
        <FilterError error={e} />
        <Link href="/failures">Clear filters</Link>
      </>
    );
  }
  const params: Record<string, string | undefined> = {
    verdict: f.verdict,
    failures: f.failures === 'binding' ? undefined : f.failures,
    identity: f.identity,
    token: f.token,
    gateway: f.gateway,
    reason: f.reason,
    from: f.from?.toISOString(),
    to: f.to?.toISOString(),
  };
  const apiParams = { ...params, failures: f.failures };
  const after = typeof sp.after === 'string' ? sp.after : undefined;
  const drill = (g: (typeof groups)[number]): string => {
    if (by === 'reason') return `/failures${query({ ...params, verdict: g.verdict ?? undefined, reason: g.key ?? undefined })}`;
    if (by === 'gateway') return `/failures${query({ ...params, gateway: g.key ?? undefined })}`;
    return `/failures${query({ ...params, identity: g.key ?? undefined })}`;
  };
  return (
    <>
      <h1>{f.failures === 'binding' ? 'Binding failures' : f.failures === 'any' ? 'Failed requests (all verdicts but ok)' : `Events: ${f.verdict ?? 'all'}`}</h1>
      <form className="filters" method="get" aria-label="Event filters">
        <label>
          Show
          <select name="failures" defaultValue={f.failures === 'binding' ? '' : (f.failures ?? '')}>
            <option value="">binding failures</option>
            <option value="any">all failures (incl. bearer_unbound, token_expired)</option>
          </select>
        </label>
        <label>
          Verdict
          <select name="verdict" defaultValue={f.verdict ?? ''}>
            <option value="">any</option>
            {VERDICTS.map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        </label>
        <label>
          Group by
          <select name="group" defaultValue={by}>
            <option value="reason">reason</option>
            <option value="gateway">gateway</option>
            <option value="identity">identity</option>
          </select>
        </label>
        <label>Gateway<input name="gateway" defaultValue={f.gateway ?? ''} style={{ width: '10rem' }} /></label>
        <label>Identity<input name="identity" defaultValue={f.identity ?? ''} style={{ width: '10rem' }} /></label>
        <label>Request id<input name="requestId" defaultValue={f.requestId ?? ''} style={{ width: '10rem' }} /></label>
        <label>From (UTC)<input name="from" defaultValue={f.from?.toISOString() ?? ''} placeholder="2026-11-01T00:00Z" style={{ width: '12rem' }} /></label>
        <label>To (UTC)<input name="to" defaultValue={f.to?.toISOString() ?? ''} style={{ width: '12rem' }} /></label>
        {f.token ? <input type="hidden" name="token" value={f.token} /> : null}
        {f.reason ? <input type="hidden" name="reason" value={f.reason} /> : null}
        <button type="submit">Apply</button>
        <Link href="/failures">Clear</Link>
      </form>
      <div className="panel">
        <h2>Grouped by {by}</h2>
        {groups.length === 0 ? <p className="empty">Nothing matches.</p> : (
          <table className="data" data-testid="failure-groups">
            <thead><tr>{by === 'reason' ? <><th>Verdict</th><th>Reason</th></> : <th>{by === 'gateway' ? 'Gateway' : 'Identity'}</th>}<th className="num">Events</th><th>Latest</th></tr></thead>
            <tbody>
              {groups.map((g) => (
                <tr key={`${g.verdict}/${g.key}`}>
                  {by === 'reason' ? (
                    <>
                      <td><Link href={drill(g)}>{g.verdict}</Link></td>
                      <td>{g.key ?? '—'}</td>
                    </>
                  ) : (
                    <td><Link href={drill(g)} className="mono">{g.label ?? '(none)'}</Link></td>
                  )}
                  <td className="num">{fmt(g.n)}</td>
                  <td>{when(g.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="panel">
        <div style={{ display: 'flex', justifyContent: 'space-between', marginBottom: '0.5rem' }}>
          <h2 style={{ margin: 0 }}>Events, newest first</h2>
          <ExportLinks api="events" params={apiParams} />
        </div>
        <table className="data" data-testid="events-table">
          <thead><tr><th>When (UTC)</th><th>Gateway</th><th>Request</th><th>Identity</th><th>Token</th><th>Status</th><th>Verdict</th><th>Reason</th></tr></thead>
          <tbody>
            {page.items.map((r) => (
              <tr key={r.id}>
                <td>{r.occurredAt.slice(0, 19).replace('T', ' ')}</td>
                <td>{r.gateway ?? '—'}</td>
                <td className="mono" style={{ wordBreak: 'break-all' }}>{r.method} {r.url}</td>
                <td><IdentityLink id={r.identityId} name={r.identity} /></td>
                <td className="mono">{r.tokenId ? <Link href={`/tokens/${r.tokenId}`}>{(r.tokenFingerprint ?? r.tokenId).slice(0, 10)}…</Link> : '—'}</td>
                <td>{r.httpStatus ?? '—'}</td>
                <td>{r.verdict}</td>
                <td>{r.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager basePath="/failures" params={{ ...params, group: by === 'reason' ? undefined : by, requestId: f.requestId, after }} nextCursor={page.nextCursor} />
      </div>
    </>
  );
}
