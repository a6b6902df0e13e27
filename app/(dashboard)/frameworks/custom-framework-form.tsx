'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { api } from '../../_components/api.ts';
import { onFormSubmit, useSubmit } from '../../_components/submit.tsx';

const EXAMPLE = JSON.stringify(
  {
    id: 'acme-nhi',
    name: 'ACME NHI baseline',
    version: '2026.1',
    controls: [{ id: 'ACME-1', title: 'Tokens are sender-constrained', description: 'mTLS or DPoP everywhere.' }],
    mapping: [{ subject: 'unbound_high_risk', controlId: 'ACME-1', rationale: 'Unbound high-risk tokens break it.' }],
  },
  null,
  2,
);

/** Admins paste or pick a JSON catalog + mapping; errors come back per field. */
export function CustomFrameworkForm() {
  const router = useRouter();
  const [text, setText] = useState('');
  // Checked here before anything is sent: the file is not JSON.
  const [notJson, setNotJson] = useState<string | null>(null);
  // Shows the uploaded framework once it is stored (useSubmit then refreshes the page's data).
  const upload = useSubmit(async (doc: unknown) => {
    const r = await api<{ id: string; created: boolean }>('POST', '/api/v1/frameworks', doc);
    router.push(`/frameworks?framework=${encodeURIComponent(r.id)}`);
    return r;
  });
  const errors = notJson
    ? [{ path: '(file)', message: `not valid JSON: ${notJson}` }]
    : upload.fieldErrors.length
      ? upload.fieldErrors
      : upload.error
        ? [{ path: '', message: upload.error }]
        : [];

  async function submit() {
    setNotJson(null);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      setNotJson((err as Error).message);
      return;
    }
    await upload.run(doc);
  }

  const done = upload.result;

  return (
    <form onSubmit={onFormSubmit(submit)} data-testid="custom-framework-form">
      <p className="muted">
        A JSON document: <code>id</code>, <code>name</code>, <code>version</code>, <code>controls</code> (id, title, description, group) and{' '}
        <code>mapping</code> (subject = a finding rule or positive check, controlId, rationale). Uploading an existing id replaces it.
      </p>
      <div className="filters">
        <input type="file" accept="application/json,.json" aria-label="Framework file" onChange={async (e) => setText((await e.target.files?.[0]?.text()) ?? '')} />
        <button type="button" onClick={() => setText(EXAMPLE)}>Insert example</button>
      </div>
      <textarea aria-label="Framework JSON" value={text} onChange={(e) => setText(e.target.value)} rows={10} style={{ width: '100%', fontFamily: 'monospace' }} />
      <div className="filters">
        <button type="submit" disabled={!text.trim() || upload.busy}>{upload.busy ? 'Uploading…' : 'Upload framework'}</button>
      </div>
      {done && <p role="status">{done.created ? 'Added' : 'Updated'} {done.id}.</p>}
      {errors.length > 0 && (
        <ul className="error" data-testid="framework-errors">
          {errors.map((x, i) => (
            <li key={i}>
              <code>{x.path || '(root)'}</code>: {x.message}
            </li>
          ))}
        </ul>
      )}
    </form>
  );
}
