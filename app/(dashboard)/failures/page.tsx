import type { Metadata } from 'next';
import { VERDICTS } from '@/lib/domain/types.ts';
import { requirePage } from '../../_lib/session.ts';
import { Pager } from '../_components/pager.tsx';

export const metadata: Metadata = { title: 'Binding failures' };
const PAGE = 50;

export default async function FailuresPage({ searchParams }: { searchParams: Promise<{ verdict?: string; after?: string }> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  const verdict = (VERDICTS as readonly string[]).includes(sp.verdict ?? '') && sp.verdict !== 'ok' ? sp.verdict! : undefined;
  const after = sp.after && /^\d{1,18}$/.test(sp.after) ? sp.after : undefined;
  const [byReason, rows] = await Promise.all([
    db.query<{ verdict: string; reason: string | null; n: number }>(
      `SELECT "verdict", "reason", count(*)::int AS n FROM "BindingEvent" WHERE "verdict" <> 'ok' AND "occurredAt" > now() - interval '30 days'
        GROUP BY 1, 2 ORDER BY n DESC LIMIT 20`,
    ),
    db.query<{ id: number; occurredAt: Date; gateway: string | null; method: string | null; url: string | null; verdict: string; reason: string | null; identity: string | null; httpStatus: number | null }>(
      `SELECT e."id", e."occurredAt", e."gateway", e."method", e."url", e."verdict", e."reason", i."name" AS identity, e."httpStatus"
         FROM "BindingEvent" e LEFT JOIN "Identity" i ON i."id" = e."identityId"
        WHERE e."verdict" <> 'ok' AND ($1::text IS NULL OR e."verdict" = $1) AND ($2::bigint IS NULL OR e."id" < $2::bigint)
        ORDER BY e."id" DESC LIMIT ${PAGE + 1}`,
      [verdict ?? null, after ?? null],
    ),
  ]);
  const page = rows.slice(0, PAGE);
  return (
    <>
      <h1>Binding failures</h1>
      <div className="panel">
        <h2>Last 30 days by verdict and reason</h2>
        {byReason.length === 0 ? <p className="empty">No binding failures recorded.</p> : (
          <table className="data">
            <thead><tr><th>Verdict</th><th>Reason</th><th className="num">Events</th></tr></thead>
            <tbody>
              {byReason.map((r) => (
                <tr key={`${r.verdict}/${r.reason}`}>
                  <td><a href={`/failures?verdict=${r.verdict}`}>{r.verdict}</a></td>
                  <td>{r.reason ?? '—'}</td>
                  <td className="num">{r.n.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="panel">
        <h2>Events{verdict ? `: ${verdict}` : ''}</h2>
        <table className="data">
          <thead><tr><th>When (UTC)</th><th>Gateway</th><th>Request</th><th>Identity</th><th>Status</th><th>Verdict</th><th>Reason</th></tr></thead>
          <tbody>
            {page.map((r) => (
              <tr key={String(r.id)}>
                <td>{new Date(r.occurredAt).toISOString().slice(0, 19).replace('T', ' ')}</td>
                <td>{r.gateway ?? '—'}</td>
                <td className="mono">{r.method} {r.url}</td>
                <td className="mono">{r.identity ?? '—'}</td>
                <td>{r.httpStatus ?? '—'}</td>
                <td>{r.verdict}</td>
                <td>{r.reason ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager basePath="/failures" params={{ verdict, after }} nextCursor={rows.length > PAGE ? String(page[page.length - 1]!.id) : null} />
      </div>
    </>
  );
}
