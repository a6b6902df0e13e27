'use client';
// Per anchor, for admins: upload a newer CRL (an older one is refused by the server, 409), or
// remove the anchor after a confirmation.
import { useRouter } from 'next/navigation';
import { useRef, useState } from 'react';
import { api } from '../../_components/api.ts';
import { ConfirmDialog } from '../settings/_components/confirm-dialog.tsx';
import { fileText } from './file-text.ts';

export function AnchorActions({ id, subject }: { id: string; subject: string }) {
  const router = useRouter();
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  async function uploadCrl(file: File | undefined) {
    if (!file) return;
    setBusy(true);
    setError(null);
    setStatus(null);
    try {
      const r = await api<{ crlChange: string | null; crlEntries: number }>('POST', `/api/v1/trust-anchors/${id}/crl`, { crl: await fileText(file) });
      setStatus(r.crlChange === 'unchanged' ? 'Same CRL as before' : `CRL ${r.crlChange}: ${r.crlEntries} revoked`);
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
      if (input.current) input.current.value = '';
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', `/api/v1/trust-anchors/${id}`);
      setConfirming(false);
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div>
      <label className="secondary" style={{ display: 'block', marginBottom: '0.4rem' }}>
        Upload a newer CRL
        <input
          ref={input}
          type="file"
          accept=".pem,.crl,.der"
          disabled={busy}
          aria-label={`Upload a newer CRL for ${subject}`}
          onChange={(e) => void uploadCrl(e.currentTarget.files?.[0])}
          style={{ display: 'block', maxWidth: '12rem' }}
        />
      </label>
      <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(true)} aria-label={`Remove ${subject}`}>
        Remove
      </button>
      {!confirming && error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {status ? <p role="status">{status}</p> : null}
      {confirming ? (
        <ConfirmDialog title="Remove this trust anchor?" confirmLabel="Remove" danger busy={busy} error={error} onConfirm={() => void remove()} onClose={() => setConfirming(false)}>
          <p>
            Holdfast stops judging certificates against <strong>{subject}</strong>; its CRL goes with it. Verdicts already given stay.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
