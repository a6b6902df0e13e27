import type { Metadata } from 'next';
import { requirePage } from '../../_lib/session.ts';

export const metadata: Metadata = { title: 'Ingest' };

export default async function IngestPage() {
  const { db } = await requirePage('read');
  const batches = await db.prisma.ingestBatch.findMany({ orderBy: { startedAt: 'desc' }, take: 50, include: { source: true } });
  return (
    <>
      <h1>Ingest</h1>
      <div className="panel">
        <h2>Recent batches</h2>
        {batches.length === 0 ? (
          <p className="empty">No batches yet. Send logs with <code>holdfast ingest FILE --format F</code> or <code>POST /api/v1/ingest</code>.</p>
        ) : (
          <table className="data">
            <thead><tr><th>Started</th><th>Source</th><th>Format</th><th>State</th><th className="num">Lines</th><th className="num">Accepted</th><th className="num">Rejected</th><th className="num">Duplicates</th></tr></thead>
            <tbody>
              {batches.map((b) => (
                <tr key={b.id}>
                  <td>{b.startedAt.toISOString().slice(0, 19).replace('T', ' ')}</td>
                  <td>{b.source?.name ?? '—'}</td>
                  <td>{b.format}</td>
                  <td>{b.state}</td>
                  <td className="num">{b.linesRead}</td>
                  <td className="num">{b.accepted}</td>
                  <td className="num">{b.rejected}</td>
                  <td className="num">{b.duplicates}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
