import type { Metadata } from 'next';
import { requirePage } from '../../_lib/session.ts';

export const metadata: Metadata = { title: 'Revocations' };

export default async function RevocationsPage() {
  const { db } = await requirePage('read');
  const rows = await db.prisma.revocation.findMany({ orderBy: { createdAt: 'desc' }, take: 100, include: { legs: true } });
  return (
    <>
      <h1>Revocations</h1>
      <div className="panel">
        {rows.length === 0 ? (
          <p className="empty">No revocations yet.</p>
        ) : (
          <table className="data">
            <thead><tr><th>Requested</th><th>By</th><th>Reason</th><th>State</th><th>Legs</th></tr></thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id}>
                  <td>{r.createdAt.toISOString().slice(0, 19).replace('T', ' ')}</td>
                  <td>{r.requestedBy}</td>
                  <td>{r.reason}</td>
                  <td>{r.state}</td>
                  <td>{r.legs.map((l) => `${l.kind}: ${l.state} (${l.attempts})`).join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
