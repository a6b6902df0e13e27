'use client';

import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';
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
  const add = useSubmit(async (form: HTMLFormElement) => {
    const f = new FormData(form);
    const ca = f.get('ca');
    const crl = f.get('crl');
    if (!(ca instanceof File) || ca.size === 0) throw new Error('Choose the CA certificate file');
    const r = await api<AddResult>('POST', '/api/v1/trust-anchors', {
      ca: await fileText(ca),
      crl: crl instanceof File && crl.size > 0 ? await fileText(crl) : null,
    });
    form.reset();
    return r;
  });
  const done = add.result;

  return (
    <form onSubmit={onFormSubmit(add.run)} data-testid="add-anchor-form">
      <div className="filters">
        <label>
          CA certificate (PEM or DER) <input type="file" name="ca" required accept=".pem,.crt,.cer,.der" />
        </label>
        <label>
          CRL (optional) <input type="file" name="crl" accept=".pem,.crl,.der" />
        </label>
        <button type="submit" disabled={add.busy}>
          {add.busy ? 'Adding…' : 'Add CA'}
        </button>
      </div>
      <SubmitError error={add.error} />
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
