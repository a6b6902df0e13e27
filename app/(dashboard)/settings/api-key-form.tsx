'use client';
// Creates an API key; the key is shown once. With the ingest scope the key may only ingest,
// whatever role is chosen: the kind of key a gateway's configuration file should hold.
import { api } from '../../_components/api.ts';
import { onFormSubmit, SubmitError, useSubmit } from '../../_components/submit.tsx';

export function ApiKeyForm() {
  // One key per click: a second submit while the first is under way creates nothing.
  const create = useSubmit(async (form: HTMLFormElement) => {
    const f = new FormData(form);
    const jkt = String(f.get('dpopJkt') ?? '').trim();
    const r = await api<{ id: string; key: string }>('POST', '/api/v1/api-keys', {
      name: f.get('name'),
      role: f.get('role'),
      scopes: f.get('ingest') ? ['ingest'] : [],
      ...(jkt ? { dpopJkt: jkt } : {}),
    });
    // The list above is server-rendered and refreshed: the new key's row (its stub, never the key).
    return r.key;
  });
  const created = create.result;
  return (
    <form aria-label="Create API key" className="filters" style={{ marginTop: '1rem' }} onSubmit={onFormSubmit(create.run)}>
      <label>Name<input name="name" required maxLength={100} /></label>
      <label>
        Role
        <select name="role" defaultValue="analyst">
          {['analyst', 'operator', 'auditor', 'admin'].map((r) => <option key={r}>{r}</option>)}
        </select>
      </label>
      <label style={{ display: 'flex', gap: '0.4rem', alignItems: 'center' }}><input type="checkbox" name="ingest" /> ingest scope (the key may only ingest)</label>
      <label title="JWK SHA-256 thumbprint of the gateway's DPoP key: the key is then accepted only with a DPoP proof signed by it">
        DPoP key thumbprint (optional)
        <input name="dpopJkt" pattern="[A-Za-z0-9_\-]{43}" maxLength={43} placeholder="43 characters" />
      </label>
      <button type="submit" disabled={create.busy}>{create.busy ? 'Creating…' : 'Create API key'}</button>
      <SubmitError error={create.error} />
      {created && (
        <p role="status">
          New key (shown once, copy it now): <code data-testid="new-api-key">{created}</code>
        </p>
      )}
    </form>
  );
}
