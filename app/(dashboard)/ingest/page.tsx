import type { Metadata } from 'next';
import { headers } from 'next/headers';
import { can } from '@/lib/auth/permissions.ts';
import { readSetting } from '@/lib/config.ts';
import { FORMAT_NAMES } from '@/lib/ingest/index.ts';
import { listBatches } from '@/lib/services/ingest/index.ts';
import { requirePage } from '../../_lib/session.ts';
import { CopyBlock } from './copy-block.tsx';
import { ingestSnippets } from './snippets.ts';
import { IngestUpload } from './upload.tsx';

export const metadata: Metadata = { title: 'Ingest' };

const when = (iso: string) => iso.slice(0, 19).replace('T', ' ');

export default async function IngestPage() {
  const { db, principal } = await requirePage('read');
  const batches = await listBatches(db, { limit: 50 });
  const h = await headers();
  const host = h.get('x-forwarded-host') ?? h.get('host') ?? 'holdfast.example.com';
  const proto = h.get('x-forwarded-proto') ?? (host.startsWith('localhost') || host.startsWith('127.') ? 'http' : 'https');
  const base = readSetting('HOLDFAST_PUBLIC_URL')?.replace(/\/$/, '') ?? `${proto}://${host}`;
  return (
    <>
      <h1>Ingest</h1>
      {can(principal, 'ingest') ? (
        <div className="panel">
          <h2>Upload</h2>
          <IngestUpload formats={FORMAT_NAMES} />
        </div>
      ) : null}
      <div className="panel">
        <h2>Recent batches</h2>
        {batches.length === 0 ? (
          <p className="empty">No batches yet. Send logs with <code>holdfast ingest FILE --format F</code> or <code>POST /api/v1/ingest</code>.</p>
        ) : (
          <table className="data" data-testid="batches">
            <thead>
              <tr>
                <th>Started</th><th>Source</th><th>Format</th><th>State</th><th className="num">Lines</th><th className="num">Accepted</th>
                <th className="num">Rejected</th><th className="num">Duplicates</th><th>Errors</th>
              </tr>
            </thead>
            <tbody>
              {batches.map((b) => (
                <tr key={b.id} data-batch={b.id}>
                  <td title={b.id}>{when(b.startedAt)}</td>
                  <td>{b.source ?? '—'}</td>
                  <td>{b.format}</td>
                  <td><span className="badge">{b.state}</span></td>
                  <td className="num">{b.linesRead}</td>
                  <td className="num">{b.accepted}</td>
                  <td className="num">{b.rejected}</td>
                  <td className="num">{b.duplicates}</td>
                  <td>
                    {b.errors.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <details>
                        <summary>{b.errors.length}{b.rejected > b.errors.length ? ` of ${b.rejected}` : ''} {Math.max(b.errors.length, b.rejected) === 1 ? 'error' : 'errors'}</summary>
                        <ul style={{ margin: '0.25rem 0', paddingLeft: '1rem' }}>
                          {b.errors.map((e, i) => (
                            <li key={i}>
                              {e.line > 0 ? `line ${e.line}: ` : ''}<code>{e.reason}</code>{e.message ? ` — ${e.message}` : ''}
                            </li>
                          ))}
                        </ul>
                      </details>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <div className="panel">
        <h2>Send logs from your gateways</h2>
        <p className="muted">
          Create a source with its own API key on the Sources page (admins), or an API key with the ingest scope. Formats: {FORMAT_NAMES.join(', ')}.
        </p>
        <p className="muted" data-testid="evidence-not-tokens">
          The recommended configurations log evidence the gateway computes — the token&apos;s SHA-256, its cnf thumbprints, the client
          certificate&apos;s x5t#S256 — and never the token itself. Each one is run as shown against the real gateway by Holdfast&apos;s tests.
        </p>
        {ingestSnippets(base).map((s) => (
          <details key={s.id} id={`snippet-${s.id}`}>
            <summary><strong>{s.title}</strong></summary>
            <p>{s.intro}</p>
            {s.blocks.map((b) => (
              <CopyBlock key={b.label} label={b.label} code={b.code} />
            ))}
          </details>
        ))}
      </div>
    </>
  );
}
