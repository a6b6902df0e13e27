import type { Metadata } from 'next';
import { requirePage } from '../../_lib/session.ts';
import { Pager } from '../_components/pager.tsx';

export const metadata: Metadata = { title: 'Identities' };
const PAGE = 50;

export default async function IdentitiesPage({ searchParams }: { searchParams: Promise<{ kind?: string; after?: string }> }) {
  const { db } = await requirePage('read');
  const sp = await searchParams;
  const kind = sp.kind && /^[a-z_]{1,20}$/.test(sp.kind) ? sp.kind : undefined;
  const rows = await db.query<{ id: string; name: string; kind: string; owner: string | null; status: string; environment: string | null; tokens: number; bearer: number }>(
    `SELECT i."id", i."name", i."kind", i."owner", i."status", i."environment",
            count(t."id")::int AS tokens, count(t."id") FILTER (WHERE t."binding" = 'bearer')::int AS bearer
       FROM "Identity" i LEFT JOIN "Token" t ON t."identityId" = i."id"
      WHERE ($1::text IS NULL OR i."kind" = $1) AND ($2::text IS NULL OR i."name" > $2)
      GROUP BY i."id" ORDER BY i."name" LIMIT ${PAGE + 1}`,
    [kind ?? null, sp.after ?? null],
  );
  const page = rows.slice(0, PAGE);
  return (
    <>
      <h1>Identities</h1>
      <form className="filters" method="get">
        <label>
          Kind
          <select name="kind" defaultValue={kind ?? ''}>
            <option value="">any</option>
            {['service', 'pipeline', 'agent', 'partner', 'workload'].map((k) => (
              <option key={k} value={k}>{k}</option>
            ))}
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <div className="panel">
        {page.length === 0 ? (
          <p className="empty">No identities yet. Ingest an inventory or load the demo estate.</p>
        ) : (
          <table className="data">
            <thead>
              <tr><th>Name</th><th>Kind</th><th>Owner</th><th>Environment</th><th>Status</th><th className="num">Tokens</th><th className="num">Bearer</th></tr>
            </thead>
            <tbody>
              {page.map((r) => (
                <tr key={r.id}>
                  <td className="mono">{r.name}</td>
                  <td>{r.kind}</td>
                  <td>{r.owner ?? '—'}</td>
                  <td>{r.environment ?? '—'}</td>
                  <td>{r.status}</td>
                  <td className="num">{r.tokens}</td>
                  <td className="num">{r.bearer}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Pager basePath="/identities" params={{ kind, after: sp.after }} nextCursor={rows.length > PAGE ? page[page.length - 1]!.name : null} />
      </div>
    </>
  );
}
