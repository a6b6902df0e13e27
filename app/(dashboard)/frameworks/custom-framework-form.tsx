'use client';

import { useRouter } from 'next/navigation';
import { useState } from 'react';
import { csrfToken } from '../../_components/api.ts';

interface Problem {
  detail?: string;
  errors?: { path: string; message: string }[];
}

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
  const [errors, setErrors] = useState<{ path: string; message: string }[]>([]);
  const [message, setMessage] = useState<string | null>(null);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setErrors([]);
    setMessage(null);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      setErrors([{ path: '(file)', message: `not valid JSON: ${(err as Error).message}` }]);
      return;
    }
    const res = await fetch('/api/v1/frameworks', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken() }, body: JSON.stringify(doc) });
    const body = (await res.json().catch(() => ({}))) as Problem & { id?: string; created?: boolean };
    if (!res.ok) {
      setErrors(body.errors?.length ? body.errors : [{ path: '', message: body.detail ?? `HTTP ${res.status}` }]);
      return;
    }
    setMessage(`${body.created ? 'Added' : 'Updated'} ${body.id}.`);
    router.push(`/frameworks?framework=${encodeURIComponent(body.id ?? '')}`);
    router.refresh();
  }

  return (
    <form onSubmit={submit} data-testid="custom-framework-form">
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
        <button type="submit" disabled={!text.trim()}>Upload framework</button>
      </div>
      {message && <p>{message}</p>}
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
