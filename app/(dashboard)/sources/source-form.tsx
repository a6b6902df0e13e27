'use client';

import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { api } from '../../_components/api.ts';

export function SourceForm({ formats }: { formats: readonly string[] }) {
  const router = useRouter();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError(null);
    setCreated(null);
    try {
      const format = String(f.get('format') ?? '');
      const r = await api<{ name: string; apiKey: { key: string } }>('POST', '/api/v1/sources', {
        name: String(f.get('name') ?? '').trim(),
        format: format || null,
        description: String(f.get('description') ?? '').trim() || null,
        trustedProxies: String(f.get('trustedProxies') ?? '').split(/[\s,]+/).filter(Boolean),
      });
      setCreated({ name: r.name, key: r.apiKey.key });
      (e.target as HTMLFormElement).reset();
      router.refresh();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit}>
      <div className="filters">
        <label>
          Name <input name="name" required maxLength={100} pattern="[A-Za-z0-9][A-Za-z0-9._:@\-]*" placeholder="nginx-edge" />
        </label>
        <label>
          Format{' '}
          <select name="format" defaultValue="">
            <option value="">any</option>
            {formats.map((f) => (
              <option key={f} value={f}>{f}</option>
            ))}
          </select>
        </label>
        <label>
          Description <input name="description" maxLength={500} />
        </label>
        <label title="CIDRs of the proxies (the TLS-terminating edge) that may forward a client certificate to this backend, separated by commas; empty: any peer">
          Trusted proxies <input name="trustedProxies" maxLength={4000} placeholder="e.g. 10.0.0.0/8, 2001:db8::/32" />
        </label>
        <button type="submit" disabled={busy}>Create source and key</button>
      </div>
      {error ? <p className="error" role="alert">{error}</p> : null}
      {created ? (
        <p role="status">
          API key for <strong>{created.name}</strong> (shown once; it can only ingest, as this source): <code data-testid="source-key">{created.key}</code>
        </p>
      ) : null}
    </form>
  );
}
