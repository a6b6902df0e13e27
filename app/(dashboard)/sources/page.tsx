import type { Metadata } from 'next';
import { FORMAT_NAMES } from '@/lib/ingest/index.ts';
import { listSources } from '@/lib/services/ingest/index.ts';
import { requirePage } from '../../_lib/session.ts';
import { SourceForm } from './source-form.tsx';

export const metadata: Metadata = { title: 'Sources' };

const when = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');

export default async function SourcesPage() {
  const { db } = await requirePage('admin');
  const sources = await listSources(db);
  return (
    <>
      <h1>Sources</h1>
      <div className="panel">
        <h2>New source</h2>
        <p className="muted">Each source gets its own API key with the ingest scope; batches sent with it are counted against the source.</p>
        <SourceForm formats={FORMAT_NAMES} />
      </div>
      <div className="panel">
        <h2>Sources</h2>
        {sources.length === 0 ? (
          <p className="empty">No sources yet.</p>
        ) : (
          <table className="data">
            <thead>
              <tr><th>Name</th><th>Format</th><th>Last seen</th><th className="num">Events</th><th className="num">Batches</th><th>Keys</th></tr>
            </thead>
            <tbody>
              {sources.map((s) => (
                <tr key={s.id}>
                  <td>
                    <strong>{s.name}</strong>
                    {s.description ? <div className="muted">{s.description}</div> : null}
                  </td>
                  <td>{s.format ?? '—'}</td>
                  <td>{when(s.lastSeenAt)}</td>
                  <td className="num">{s.eventsTotal.toLocaleString('en-US')}</td>
                  <td className="num">{s.batches}</td>
                  <td>
                    {s.keys.length === 0
                      ? '—'
                      : s.keys.map((k) => (
                          <div key={k.id}>
                            <code>{k.displayStub}</code> {k.revoked ? <span className="badge">revoked</span> : null}{' '}
                            <span className="muted">last used {when(k.lastUsedAt)}</span>
                          </div>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}
