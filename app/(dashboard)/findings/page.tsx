import type { Metadata } from 'next';
import { requirePage } from '../../_lib/session.ts';

export const metadata: Metadata = { title: 'Findings' };

export default async function FindingsPage() {
  const { db } = await requirePage('read');
  const rows = await db.query<{ id: string; rule: string; severity: string; status: string; title: string; identity: string | null; lastSeenAt: Date }>(
    `SELECT f."id", f."rule", f."severity", f."status", f."title", i."name" AS identity, f."lastSeenAt"
       FROM "Finding" f LEFT JOIN "Identity" i ON i."id" = f."identityId"
      WHERE f."status" <> 'resolved'
      ORDER BY CASE f."severity" WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, f."blastRadius" DESC, f."lastSeenAt" DESC
      LIMIT 200`,
  );
  return (
    <>
      <h1>Findings</h1>
      <div className="panel">
        {rows.length === 0 ? (
          <p className="empty">No open findings. The findings engine evaluates the estate after each ingest batch.</p>
        ) : (
          <table className="data">
            <thead><tr><th>Severity</th><th>Rule</th><th>Finding</th><th>Identity</th><th>Status</th><th>Last seen</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td><span className={`badge ${r.severity}`}>{r.severity}</span></td>
                  <td className="mono">{r.rule}</td>
                  <td>{r.title}</td>
                  <td className="mono">{r.identity ?? '—'}</td>
                  <td>{r.status}</td>
                  <td>{new Date(r.lastSeenAt).toISOString().slice(0, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
