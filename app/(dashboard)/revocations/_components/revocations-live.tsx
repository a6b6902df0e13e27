'use client';
// Revocation history with live leg status: polls while any revocation is still being carried
// out, and offers retry (operators and admins) for legs that failed.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { api, ApiProblem } from '../../../_components/api.ts';

// The API's own view types: the page renders exactly what GET /api/v1/revocations returns.
import type { LegView, RevocationView } from '@/lib/revocation/revocation-queries.ts';

export type { LegView, RevocationView };

const done = (r: RevocationView) => r.completedAt !== null || r.state === 'confirmed' || r.state === 'failed';
const when = (iso: string | null) => (iso ? iso.slice(0, 19).replace('T', ' ') : '—');
const badge = (s: string) => (s === 'confirmed' ? 'ok' : s === 'failed' ? 'critical' : s === 'partial' ? 'high' : 'medium');

export function RevocationsLive({ initial, canRevoke, highlight }: { initial: { revocations: RevocationView[]; total: number }; canRevoke: boolean; highlight?: string }) {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ['revocations'],
    queryFn: () => api<{ revocations: RevocationView[]; total: number }>('GET', '/api/v1/revocations?limit=50'),
    initialData: initial,
    refetchInterval: (query) => (query.state.data?.revocations.some((r) => !done(r)) ? 1500 : 15_000),
  });
  const retry = useMutation({
    mutationFn: ({ id, rawToken }: { id: string; rawToken?: string }) => api<RevocationView>('POST', `/api/v1/revocations/${id}/retry`, rawToken ? { rawToken } : undefined),
    onSuccess: () => setRawToken({}),
    onSettled: () => qc.invalidateQueries({ queryKey: ['revocations'] }),
  });
  // The raw token an RFC 7009 leg needs again (its sealed copy is erased when the leg fails); kept only in this form.
  const [rawToken, setRawToken] = useState<Record<string, string>>({});
  const rows = q.data?.revocations ?? [];
  if (!rows.length) {
    return (
      <p className="empty">
        No revocations yet.{' '}
        {canRevoke ? (
          <>
            Revoke a token, with its bound certificate, from its page or several at once from <Link href="/tokens">Tokens</Link>; each revocation and its legs show here until every leg is confirmed.
          </>
        ) : (
          'Operators and admins revoke tokens from the Tokens pages; each revocation and its legs show here.'
        )}
      </p>
    );
  }
  return (
    <>
      {retry.error ? <p className="error" role="alert">{retry.error instanceof ApiProblem ? retry.error.message : 'retry failed'}</p> : null}
      {rows.map((r) => (
        <section key={r.id} className="panel" data-testid="revocation" data-id={r.id} data-state={r.state} style={highlight === r.id ? { outline: '2px solid var(--brand)' } : undefined}>
          {/* On a narrow screen the raw-token form goes under the revocation, at full width. */}
          <div style={{ display: 'flex', justifyContent: 'space-between', gap: '1rem', alignItems: 'baseline', flexWrap: 'wrap' }}>
            <div style={{ flex: '1 1 18rem', minWidth: 0 }}>
              <span className={`badge ${badge(r.state)}`} data-testid="revocation-state">{r.state}</span> <strong>{r.reason}</strong>{' '}
              <Link href={`/revocations/${r.id}`} data-testid="receipts-link">Receipts</Link>
              <div className="muted">
                {when(r.createdAt)} by {r.requestedBy}
                {r.completedAt ? ` · finished ${when(r.completedAt)}` : done(r) ? '' : ' · in flight (updates live)'}
              </div>
            </div>
            {canRevoke && r.legs.some((l) => l.needsRawToken) ? (
              <form
                className="inline"
                style={{ display: 'flex', gap: '0.5rem', alignItems: 'center', flexWrap: 'wrap', flex: '1 1 20rem', minWidth: 0 }}
                onSubmit={(e) => {
                  e.preventDefault();
                  retry.mutate({ id: r.id, rawToken: rawToken[r.id] });
                }}
              >
                <label>
                  Raw token (the issuer&apos;s RFC 7009 endpoint needs it; Holdfast keeps only its fingerprint, and erases a copy it was given once the leg fails){' '}
                  <input type="password" autoComplete="off" data-testid="retry-raw-token" required value={rawToken[r.id] ?? ''} onChange={(e) => setRawToken({ ...rawToken, [r.id]: e.target.value })} />
                </label>
                <button type="submit" className="secondary" data-testid="retry" disabled={retry.isPending}>
                  Retry with the token
                </button>
              </form>
            ) : canRevoke && r.legs.some((l) => l.state === 'failed' || (l.state === 'in_progress' && l.lastError)) ? (
              <button type="button" className="secondary" data-testid="retry" disabled={retry.isPending} onClick={() => retry.mutate({ id: r.id })}>
                Retry now
              </button>
            ) : null}
          </div>
          <table className="data" style={{ marginTop: '0.5rem' }}>
            <thead><tr><th>Leg</th><th>Credential</th><th>Connector</th><th>State</th><th className="num">Attempts</th><th>Last error</th><th>Next try / confirmed</th></tr></thead>
            <tbody>
              {r.legs.map((l) => (
                <tr key={l.id} data-testid="leg" data-kind={l.kind} data-state={l.state}>
                  <td>{l.kind}</td>
                  <td className="mono">{l.label}</td>
                  <td>{l.connector ?? '—'}</td>
                  <td><span className={`badge ${badge(l.state)}`}>{l.state}</span></td>
                  <td className="num">{l.attempts}</td>
                  <td className="error">{l.lastError ?? ''}</td>
                  <td>{l.state === 'confirmed' ? when(l.confirmedAt) : when(l.nextAttemptAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ))}
      {q.data && q.data.total > rows.length ? <p className="muted">Showing the latest {rows.length} of {q.data.total}.</p> : null}
    </>
  );
}
