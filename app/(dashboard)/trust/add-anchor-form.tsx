'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '../../_components/api.ts';
import { fileText } from './file-text.ts';

interface AddResult {
  created: boolean;
  ca: { subject: string };
  crlEntries: number;
  crlChange: 'added' | 'replaced' | 'unchanged' | null;
  warnings: string[];
}

/** Admins: a CA certificate and, optionally, its CRL (PEM or DER files). */
export function AddAnchorForm() {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<AddResult | null>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = e.currentTarget;
    const f = new FormData(form);
    const ca = f.get('ca');
    const crl = f.get('crl');
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      if (!(ca instanceof File) || ca.size === 0) throw new Error('Choose the CA certificate file');
      const r = await api<AddResult>('POST', '/api/v1/trust-anchors', {
        ca: await fileText(ca),
        crl: crl instanceof File && crl.size > 0 ? await fileText(crl) : null,
      });
      setDone(r);
      form.reset();
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} data-testid="add-anchor-form">
      <div className="filters">
        <label>
          CA certificate (PEM or DER) <input type="file" name="ca" required accept=".pem,.crt,.cer,.der" />
        </label>
        <label>
          CRL (optional) <input type="file" name="crl" accept=".pem,.crl,.der" />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add CA'}
        </button>
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {done ? (
        <p role="status">
          {done.created ? 'Added' : 'Already trusted:'} <strong>{done.ca.subject}</strong>
          {done.crlChange ? `; CRL ${done.crlChange}, ${done.crlEntries} revoked certificate${done.crlEntries === 1 ? '' : 's'}` : ''}.
          {done.warnings.map((w) => (
            <span key={w} className="muted"> {w}</span>
          ))}
        </p>
      ) : null}
    </form>
  );
}
