'use client';
// Per anchor, for admins: upload a newer CRL (an older one is refused by the server, 409), or
// remove the anchor after a confirmation.
import { useRef, useState } from 'react';
import { api } from '../../_components/api.ts';
import { SubmitError, useSubmit } from '../../_components/submit.tsx';
import { ConfirmDialog } from '../settings/_components/confirm-dialog.tsx';
import { fileText } from './file-text.ts';

export function AnchorActions({ id, subject }: { id: string; subject: string }) {
  const input = useRef<HTMLInputElement>(null);
  const [confirming, setConfirming] = useState(false);
  const uploadCrl = useSubmit(async (file: File) => {
    try {
      const r = await api<{ crlChange: string | null; crlEntries: number }>('POST', `/api/v1/trust-anchors/${id}/crl`, { crl: await fileText(file) });
      return r.crlChange === 'unchanged' ? 'Same CRL as before' : `CRL ${r.crlChange}: ${r.crlEntries} revoked`;
    } finally {
      if (input.current) input.current.value = '';
    }
  });
  // Its own error, shown in the dialog: a failed CRL upload before is not the removal's problem.
  const remove = useSubmit(async () => {
    await api('DELETE', `/api/v1/trust-anchors/${id}`);
    setConfirming(false);
  });
  const busy = uploadCrl.busy || remove.busy;

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
          onChange={(e) => {
            const file = e.currentTarget.files?.[0];
            if (file) void uploadCrl.run(file);
          }}
          style={{ display: 'block', maxWidth: '12rem' }}
        />
      </label>
      <button type="button" className="secondary" disabled={busy} onClick={() => { remove.clear(); setConfirming(true); }} aria-label={`Remove ${subject}`}>
        Remove
      </button>
      <SubmitError error={uploadCrl.error} />
      {uploadCrl.result ? <p role="status">{uploadCrl.result}</p> : null}
      {confirming ? (
        <ConfirmDialog title="Remove this trust anchor?" confirmLabel="Remove" danger busy={busy} error={remove.error} onConfirm={() => void remove.run()} onClose={() => setConfirming(false)}>
          <p>
            Holdfast stops judging certificates against <strong>{subject}</strong>; its CRL goes with it. Verdicts already given stay.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
