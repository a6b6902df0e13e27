'use client';
// Edit and delete one revocation connector (admin). Editing changes its name, the issuer / CA
// it serves and its non-secret config; secrets are replaced only when new ones are typed (the
// sealed ones are never sent back to the browser). Delete asks for confirmation first.
import { useState } from 'react';
import { api } from '../../../_components/api.ts';
import type { ConnectorRow } from '../connectors-panel.tsx';
import { ConfirmDialog } from './confirm-dialog.tsx';
import { useAccessChange } from './use-access-change.ts';

/** A connector as the panel lists it (secrets never reach the browser). */
export type EditableConnector = Omit<ConnectorRow, 'createdAt'>;

type Change = { kind: 'update'; id: string; body: Record<string, unknown> } | { kind: 'delete'; id: string };

export function ConnectorActions({ connector: c }: { connector: EditableConnector }) {
  const [editing, setEditing] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [formError, setFormError] = useState<string | null>(null);
  const change = useAccessChange<Change>(
    (ch) => (ch.kind === 'delete' ? api('DELETE', `/api/v1/connectors/${ch.id}`) : api('PATCH', `/api/v1/connectors/${ch.id}`, ch.body)),
    () => {
      setEditing(false);
      setConfirmDelete(false);
    },
  );
  return (
    <>
      <button type="button" className="secondary" aria-label={`Edit ${c.name}`} data-testid="edit-connector" onClick={() => setEditing((e) => !e)}>
        Edit
      </button>{' '}
      <button type="button" className="secondary" aria-label={`Delete ${c.name}`} data-testid="delete-connector" onClick={() => setConfirmDelete(true)}>
        Delete
      </button>
      {editing ? (
        <form
          data-testid="connector-edit-form"
          style={{ display: 'grid', gap: '0.4rem', marginTop: '0.5rem', minWidth: '22rem' }}
          onSubmit={(e) => {
            e.preventDefault();
            const f = new FormData(e.currentTarget);
            setFormError(null);
            let config: unknown;
            let secrets: unknown;
            try {
              config = JSON.parse(String(f.get('config') ?? '{}') || '{}');
              const s = String(f.get('secrets') ?? '').trim();
              secrets = s ? JSON.parse(s) : undefined;
            } catch {
              setFormError('config and secrets must be JSON objects');
              return;
            }
            change.submit({
              kind: 'update',
              id: c.id,
              body: {
                name: String(f.get('name') ?? '').trim(),
                matchIssuer: String(f.get('matchIssuer') ?? '').trim() || null,
                matchCa: String(f.get('matchCa') ?? '').trim() || null,
                config,
                ...(secrets === undefined ? {} : { secrets }),
              },
            });
          }}
        >
          <label>Name <input name="name" defaultValue={c.name} required maxLength={100} /></label>
          <label><span>Serves issuer (or <code>*</code>)</span> <input name="matchIssuer" defaultValue={c.matchIssuer ?? ''} /></label>
          <label><span>Serves CA (or <code>*</code>)</span> <input name="matchCa" defaultValue={c.matchCa ?? ''} /></label>
          <label>
            Config (JSON, not secret)
            <textarea name="config" rows={4} defaultValue={JSON.stringify(c.config, null, 2)} className="mono" style={{ width: '100%' }} />
          </label>
          <label>
            New secrets (JSON; leave empty to keep the {c.hasSecrets ? 'sealed ones' : 'current (none)'} — never shown)
            <textarea name="secrets" rows={2} autoComplete="off" className="mono" style={{ width: '100%' }} />
          </label>
          <div>
            <button type="submit" disabled={change.busy}>Save connector</button>{' '}
            <button type="button" className="secondary" onClick={() => setEditing(false)}>Cancel</button>
          </div>
          {formError || (!confirmDelete && change.error) ? <p className="error" role="alert">{formError ?? change.error}</p> : null}
        </form>
      ) : null}
      {confirmDelete ? (
        <ConfirmDialog
          title="Delete connector"
          confirmLabel="Delete connector"
          danger
          busy={change.busy}
          error={change.error}
          onConfirm={() => change.submit({ kind: 'delete', id: c.id })}
          onClose={() => setConfirmDelete(false)}
        >
          <p>
            Delete {c.name} ({c.kind})? Legs for {[c.matchIssuer && `issuer ${c.matchIssuer}`, c.matchCa && `CA ${c.matchCa}`].filter(Boolean).join(' and ')} that no other
            connector serves will fail with &ldquo;no connector serves …&rdquo;. Revocations it already carried keep their history.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
