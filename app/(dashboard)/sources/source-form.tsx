'use client';

import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';

export function SourceForm({ formats }: { formats: readonly string[] }) {
  const create = useSubmit(async (form: HTMLFormElement) => {
    const f = new FormData(form);
    const format = String(f.get('format') ?? '');
    const r = await api<{ name: string; apiKey: { key: string }; warnings: string[] }>('POST', '/api/v1/sources', {
      name: String(f.get('name') ?? '').trim(),
      format: format || null,
      description: String(f.get('description') ?? '').trim() || null,
      // As typed: the server splits and checks the list (lib/hops/trusted-proxies.ts).
      trustedProxies: String(f.get('trustedProxies') ?? ''),
    });
    form.reset();
    return { name: r.name, key: r.apiKey.key, warnings: r.warnings };
  });
  const created = create.result;

  return (
    <form onSubmit={onFormSubmit(create.run)}>
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
        <label title="Addresses (or CIDRs) of the proxies (the TLS-terminating edges) that may forward a client certificate to this backend, separated by commas; empty: any peer. A network that also holds clients lets them pose as a proxy.">
          Trusted proxies <input name="trustedProxies" maxLength={4000} placeholder="the edges: e.g. 10.0.1.5, 10.0.1.6, 2001:db8::5" />
        </label>
        <button type="submit" disabled={create.busy}>{create.busy ? 'Creating…' : 'Create source and key'}</button>
      </div>
      <SubmitError error={create.error} />
      {created ? (
        <p role="status">
          API key for <strong>{created.name}</strong> (shown once; it can only ingest, as this source): <code data-testid="source-key">{created.key}</code>
        </p>
      ) : null}
      {created?.warnings.map((w) => (
        <p key={w} className="error" role="alert">Warning: {w}</p>
      ))}
    </form>
  );
}
