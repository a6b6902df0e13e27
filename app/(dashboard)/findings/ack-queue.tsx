'use client';
// Findings queue with bulk acknowledge: tick findings, give a reason and an expiry, and they
// leave the open queue until then (POST /api/v1/findings/acknowledge, with the CSRF token).
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '../../_components/api.ts';
import { RevokeCertificateButton, RevokeTokenButton } from '../tokens/_components/revoke-selection.tsx';

export interface QueueRow {
  id: string;
  severity: string;
  rule: string;
  title: string;
  recommendation: string;
  identityId: string | null;
  identity: string | null;
  tokenId: string | null;
  certificateId: string | null;
  blastRadius: number;
  status: string;
  lastSeenAt: string;
  ackUntil: string | null;
  ackReason: string | null;
}

const SEV_COLOR: Record<string, string> = { critical: '#7f1d1d', high: 'var(--bad)', medium: 'var(--warn)', low: 'var(--muted)', info: 'var(--muted)' };

/** `canRevoke` (operator, admin): each open finding on a token or certificate gets its revoke button, the same dialog as the token page. */
export function AckQueue({ rows, canAck, canRevoke = false }: { rows: QueueRow[]; canAck: boolean; canRevoke?: boolean }) {
  const router = useRouter();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState(() => new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10));
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const toggle = (id: string) => setPicked((s) => {
    const n = new Set(s);
    if (n.has(id)) n.delete(id);
    else n.add(id);
    return n;
  });
  const all = picked.size === rows.length && rows.length > 0;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setBusy(true);
    setMsg(null);
    try {
      const r = await api<{ acknowledged: string[]; skipped: string[] }>('POST', '/api/v1/findings/acknowledge', {
        ids: [...picked],
        reason,
        until: new Date(`${until}T23:59:59.000Z`).toISOString(),
      });
      setMsg({ ok: true, text: `Acknowledged ${r.acknowledged.length} finding(s) until ${until}${r.skipped.length ? `; ${r.skipped.length} skipped (resolved meanwhile)` : ''}.` });
      setPicked(new Set());
      setReason('');
      router.refresh();
    } catch (err) {
      setMsg({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      {canAck ? (
        <form className="filters" onSubmit={submit} aria-label="Acknowledge selected findings">
          <label>
            Reason (risk accepted because…)
            <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} maxLength={500} required style={{ width: '22rem' }} name="reason" />
          </label>
          <label>
            Until
            <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} required name="until" />
          </label>
          <button type="submit" disabled={busy || picked.size === 0 || reason.trim().length < 3}>
            Acknowledge {picked.size || ''} selected
          </button>
          {msg ? <span role="status" className={msg.ok ? 'muted' : 'error'}>{msg.text}</span> : null}
        </form>
      ) : null}
      <table className="data" data-testid="findings-table">
        <thead>
          <tr>
            {canAck ? <th><input type="checkbox" aria-label="Select all" checked={all} onChange={() => setPicked(all ? new Set() : new Set(rows.map((r) => r.id)))} /></th> : null}
            <th>Severity</th><th>Finding</th><th>Identity</th><th className="num">Blast radius</th><th>What to do</th><th>Status</th><th>Last seen</th>{canRevoke ? <th>Fix</th> : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="finding-row">
              {canAck ? <td><input type="checkbox" aria-label={`Select ${r.title}`} checked={picked.has(r.id)} onChange={() => toggle(r.id)} disabled={r.status === 'resolved'} /></td> : null}
              <td><span style={{ color: SEV_COLOR[r.severity], fontWeight: 700, fontSize: '0.78rem', textTransform: 'uppercase' }}>{r.severity}</span></td>
              <td>
                {r.tokenId ? (
                  <Link href={`/tokens/${r.tokenId}`}>{r.title}</Link>
                ) : r.certificateId ? (
                  <Link href={`/certificates/${r.certificateId}`} data-testid="finding-certificate">{r.title}</Link>
                ) : (
                  r.title
                )}
                <div className="muted mono" style={{ fontSize: '0.72rem' }}>{r.rule}</div>
              </td>
              <td>{r.identityId ? <Link href={`/identities/${r.identityId}`} className="mono">{r.identity}</Link> : '—'}</td>
              <td className="num">{r.blastRadius.toLocaleString('en-US')}</td>
              <td style={{ fontSize: '0.82rem' }}>{r.recommendation}</td>
              <td>{r.status}{r.status === 'acknowledged' && r.ackUntil ? <div className="muted" style={{ fontSize: '0.75rem' }}>until {r.ackUntil.slice(0, 10)}: {r.ackReason}</div> : null}</td>
              <td>{r.lastSeenAt.slice(0, 10)}</td>
              {canRevoke ? (
                <td data-testid="finding-revoke">
                  {r.status === 'resolved' ? null : r.tokenId ? <RevokeTokenButton tokenId={r.tokenId} /> : r.certificateId ? <RevokeCertificateButton certificateId={r.certificateId} /> : null}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
