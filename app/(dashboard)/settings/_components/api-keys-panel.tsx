'use client';
// API keys in Settings (admin): every key with its display stub (never the key), what it may do
// (a role, or "ingest only" for a gateway's key and a source's own key), where it ingests, when
// it was created and last used, and Revoke with a confirmation. Revoked keys stay listed.
import { useState, type ReactNode } from 'react';
import type { ApiKeyListing } from '@/lib/auth/access-listing.ts';
import { api } from '../../../_components/api.ts';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { minute, useAccessChange } from './use-access-change.ts';

export function ApiKeysPanel({ keys, children }: { keys: ApiKeyListing[]; children?: ReactNode }) {
  const [pending, setPending] = useState<ApiKeyListing | null>(null);
  const revoke = useAccessChange((k: ApiKeyListing) => api('POST', `/api/v1/api-keys/${k.id}/revoke`), () => setPending(null));
  return (
    <div className="panel" data-testid="api-keys-panel">
      <h2>API keys</h2>
      <table className="data" data-testid="api-keys-table">
        <thead>
          <tr><th>Name</th><th>Key</th><th>May</th><th>Scopes</th><th>Source</th><th>Created</th><th>Last used</th><th>State</th><th /></tr>
        </thead>
        <tbody>
          {keys.map((k) => (
            <tr key={k.id} data-testid="key-row" data-name={k.name}>
              <td>{k.name}</td>
              <td className="mono">{k.displayStub}</td>
              <td title={k.ingestOnly ? `stored role ${k.role}; a key with the ingest scope or a source may only ingest` : undefined}>{k.ingestOnly ? 'ingest only' : k.role}</td>
              <td>{k.scopes.join(', ') || '—'}</td>
              <td>{k.source ?? '—'}</td>
              <td className="mono" style={{ whiteSpace: 'nowrap' }}>{minute(k.createdAt)}</td>
              <td className="mono" style={{ whiteSpace: 'nowrap' }}>{minute(k.lastUsedAt) ?? 'never'}</td>
              <td>{k.revokedAt ? <span className="badge high" title={minute(k.revokedAt) ?? undefined}>revoked</span> : 'active'}</td>
              <td>
                {k.revokedAt ? null : (
                  <button type="button" className="secondary" aria-label={`Revoke ${k.name}`} onClick={() => { revoke.reset(); setPending(k); }}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {children}
      {pending ? (
        <ConfirmDialog key={pending.id} title="Revoke API key" confirmLabel="Revoke key" danger busy={revoke.busy} error={revoke.error} onConfirm={() => revoke.submit(pending)} onClose={() => setPending(null)}>
          <p>
            Revoke <strong>{pending.name}</strong> (<span className="mono">{pending.displayStub}</span>)? Every request with it is refused from now on, on every instance. This cannot be
            undone: whatever uses it{pending.source ? ` (source ${pending.source})` : ''} needs a new key.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
