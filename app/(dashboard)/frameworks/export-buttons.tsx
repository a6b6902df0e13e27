'use client';

import { useEffect, useState } from 'react';
import { api, ApiProblem } from '../../_components/api.ts';

interface Job {
  id: string;
  format: string;
  state: 'queued' | 'running' | 'done' | 'failed';
  progress: number;
  sha256: string | null;
  error: string | null;
  downloadUrl: string | null;
  fileName: string | null;
}

const FORMATS = [
  ['csv', 'CSV'],
  ['json', 'JSON'],
  ['oscal', 'OSCAL'],
  ['pdf', 'PDF'],
] as const;

/** Export buttons (rendered only for roles with `export`): start a job, follow its progress, offer the file. */
export function ExportButtons({ framework, from, to }: { framework: string; from?: string; to?: string }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const [error, setError] = useState<string | null>(null);
  const pending = jobs.filter((j) => j.state === 'queued' || j.state === 'running').map((j) => j.id).join(',');

  useEffect(() => {
    if (!pending) return;
    const timer = setInterval(async () => {
      const updated = await Promise.all(pending.split(',').map((id) => api<Job>('GET', `/api/v1/exports/${id}`).catch(() => null)));
      setJobs((js) => js.map((j) => updated.find((u) => u?.id === j.id) ?? j));
    }, 1000);
    return () => clearInterval(timer);
  }, [pending]);

  async function start(format: string) {
    setError(null);
    try {
      const job = await api<Job>('POST', '/api/v1/exports', { framework, format, ...(from ? { from } : {}), ...(to ? { to } : {}) });
      setJobs((js) => [job, ...js]);
    } catch (e) {
      setError(e instanceof ApiProblem ? e.message : 'the export could not be started');
    }
  }

  return (
    <div data-testid="exports">
      <div className="filters">
        {FORMATS.map(([f, label]) => (
          <button key={f} type="button" onClick={() => start(f)}>
            Export {label}
          </button>
        ))}
      </div>
      {error && <p className="error">{error}</p>}
      {jobs.length > 0 && (
        <table className="data">
          <thead><tr><th>Format</th><th>State</th><th>SHA-256</th><th>File</th></tr></thead>
          <tbody>
            {jobs.map((j) => (
              <tr key={j.id} data-testid={`export-${j.format}`}>
                <td>{j.format.toUpperCase()}</td>
                <td>
                  {j.state === 'done' || j.state === 'failed' ? j.state : (
                    <>
                      {j.state} <span className="progress" aria-label={`${j.progress}%`}><span style={{ width: `${j.progress}%` }} /></span> {j.progress}%
                    </>
                  )}
                  {j.error && <span className="error"> {j.error}</span>}
                </td>
                <td className="mono">{j.sha256 ? `${j.sha256.slice(0, 16)}…` : '—'}</td>
                <td>{j.downloadUrl ? <a href={j.downloadUrl} download={j.fileName ?? true}>Download {j.fileName}</a> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
