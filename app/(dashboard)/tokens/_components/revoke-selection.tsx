'use client';
// Bulk revocation from the tokens list: a checkbox per row, a bar with the selection, and a
// confirmation dialog that lists exactly what will be revoked (asked from the server: the
// tokens, their bound certificates, and every other token bound to those certificates).
// Rendered only when the server says the signed-in role may revoke. The dialog is the dashboard's
// modal: focus stays inside, Escape cancels, focus returns to the button that opened it.
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { createContext, useContext, useRef, useState, type ReactNode } from 'react';
import { api, ApiProblem } from '../../../_components/api.ts';
import { ModalDialog } from '../../../_components/modal-dialog.tsx';

interface Plan {
  tokens: { id: string; identity: string; fingerprint: string; binding: string; status: string; issuer: string | null; connector: string | null }[];
  certificates: { id: string; subjectDn: string | null; serial: string | null; caName: string | null; status: string; connector: string | null }[];
  unserved: { issuers: string[]; cas: string[] };
}

const Ctx = createContext<{ selected: Set<string>; toggle(id: string): void } | null>(null);

export function RevokeSelectionProvider({ children }: { children: ReactNode }) {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  return (
    <Ctx.Provider value={{ selected, toggle }}>
      <RevokeBar selected={selected} clear={() => setSelected(new Set())} />
      {children}
    </Ctx.Provider>
  );
}

export function SelectTokenCell({ id, label }: { id: string; label: string }) {
  const ctx = useContext(Ctx);
  if (!ctx) return null;
  return (
    <td>
      <input type="checkbox" aria-label={`Select token ${label}`} data-testid="select-token" checked={ctx.selected.has(id)} onChange={() => ctx.toggle(id)} />
    </td>
  );
}

function RevokeBar({ selected, clear }: { selected: Set<string>; clear(): void }) {
  const [open, setOpen] = useState(false);
  return (
    <div style={{ display: 'flex', gap: '0.75rem', alignItems: 'center', margin: '0.5rem 0' }}>
      <button type="button" data-testid="revoke-selected" disabled={selected.size === 0} onClick={() => setOpen(true)}>
        Revoke selected{selected.size ? ` (${selected.size})` : ''}
      </button>
      {selected.size ? (
        <button type="button" className="secondary" onClick={clear}>
          Clear selection
        </button>
      ) : null}
      {open ? <RevokeDialog tokenIds={[...selected]} onClose={() => setOpen(false)} /> : null}
    </div>
  );
}

function RevokeDialog({ tokenIds, certificateIds = [], onClose }: { tokenIds: string[]; certificateIds?: string[]; onClose(): void }) {
  const router = useRouter();
  const [withCertificate, setWithCertificate] = useState(true);
  const [reason, setReason] = useState('');
  const [rawToken, setRawToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const planQuery = useQuery({
    queryKey: ['revocation-plan', withCertificate, tokenIds, certificateIds],
    queryFn: () => api<Plan>('POST', '/api/v1/revocations/preview', { tokenIds, certificateIds, withCertificate }),
    staleTime: 0,
  });
  const plan = planQuery.data ?? null;
  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const r = await api<{ id: string }>('POST', '/api/v1/revocations', { tokenIds, certificateIds, withCertificate, reason, ...(rawToken && tokenIds.length === 1 && !certificateIds.length ? { rawToken } : {}) });
      router.push(`/revocations?id=${r.id}`);
    } catch (e) {
      setError(e instanceof ApiProblem ? e.message : 'revocation failed');
      setBusy(false);
    }
  }
  return (
    <ModalDialog labelledBy="revoke-title" testId="revoke-dialog" busy={busy} initialFocus={reasonRef} maxWidth="46rem" style={{ maxHeight: '85vh', overflow: 'auto' }} onClose={onClose}>
      <h2 id="revoke-title">Revoke credentials</h2>
      {tokenIds.length ? (
        <label style={{ display: 'block', margin: '0.5rem 0' }}>
          <input type="checkbox" checked={withCertificate} onChange={(e) => setWithCertificate(e.target.checked)} data-testid="with-certificate" /> Also revoke the certificate each token is bound to (mTLS)
        </label>
      ) : null}
      {certificateIds.length && plan ? (
        <p data-testid="revoke-certificate-note">
          Revoking {certificateIds.length === 1 ? 'this certificate' : 'these certificates'} also revokes <strong>every token bound to {certificateIds.length === 1 ? 'it' : 'them'}</strong> (cnf x5t#S256):
          {' '}{plan.tokens.length === 0 ? 'no active token is bound now.' : `${plan.tokens.length} token${plan.tokens.length === 1 ? '' : 's'}, listed below.`}
        </p>
      ) : null}
      {plan ? (
        <div data-testid="revoke-plan">
          <p>
            This revokes <strong>{plan.tokens.length} token{plan.tokens.length === 1 ? '' : 's'}</strong>
            {plan.certificates.length ? (
              <>
                {' '}and <strong>{plan.certificates.length} certificate{plan.certificates.length === 1 ? '' : 's'}</strong> (every token bound to a revoked certificate is revoked with it)
              </>
            ) : null}
            . Each is revoked once its issuer or CA confirms it; until then it shows as &ldquo;revocation pending&rdquo;, then &ldquo;revocation in progress&rdquo; while its issuer is asked.
          </p>
          {plan.unserved.issuers.length + plan.unserved.cas.length ? (
            <div role="alert" className="error" data-testid="revoke-no-connector" style={{ margin: '0.5rem 0' }}>
              <strong>No connector serves </strong>
              {[...plan.unserved.issuers.map((i) => `issuer ${i}`), ...plan.unserved.cas.map((c) => `CA ${c}`)].join(', ')}: those legs will fail at once and the credentials stay
              valid. <Link href="/settings#connectors" data-testid="revoke-connectors-link">Add a connector in Settings → connectors</Link> first, or revoke anyway to record the decision.
            </div>
          ) : null}
          <table className="data">
            <thead><tr><th>Kind</th><th>What</th><th>Status now</th><th>Connector</th></tr></thead>
            <tbody>
              {plan.tokens.map((t) => (
                <tr key={t.id} data-testid="plan-token"><td>token ({t.binding})</td><td className="mono">{t.identity} · {t.fingerprint.slice(0, 12)}…</td><td>{t.status}</td><td>{t.connector ?? <strong style={{ color: 'var(--bad)' }}>none</strong>}</td></tr>
              ))}
              {plan.certificates.map((c) => (
                <tr key={c.id} data-testid="plan-certificate"><td>certificate</td><td className="mono">{c.subjectDn ?? '—'} · serial {(c.serial ?? '?').slice(0, 16)} · CA {c.caName ?? '?'}</td><td>{c.status}</td><td>{c.connector ?? <strong style={{ color: 'var(--bad)' }}>none</strong>}</td></tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted">Working out what will be revoked…</p>
      )}
      <label style={{ display: 'block', marginTop: '0.75rem' }}>
        Reason (required, recorded in the audit log)
        <textarea ref={reasonRef} required value={reason} onChange={(e) => setReason(e.target.value)} rows={2} style={{ width: '100%' }} data-testid="revoke-reason" maxLength={500} />
      </label>
      {tokenIds.length === 1 && certificateIds.length === 0 ? (
        <label style={{ display: 'block', marginTop: '0.5rem' }}>
          Raw token (optional; only for an OAuth server that revokes by RFC 7009 — sealed, erased once done)
          <input type="password" autoComplete="off" value={rawToken} onChange={(e) => setRawToken(e.target.value)} style={{ width: '100%' }} />
        </label>
      ) : null}
      {planQuery.error ? <p className="error" role="alert">{planQuery.error instanceof ApiProblem ? planQuery.error.message : 'could not load what would be revoked'}</p> : null}
      {error ? <p className="error" role="alert">{error}</p> : null}
      <div style={{ display: 'flex', gap: '0.5rem', marginTop: '0.75rem' }}>
        <button type="button" data-testid="confirm-revoke" disabled={busy || !plan || reason.trim() === ''} onClick={submit}>
          {busy ? 'Revoking…' : `Revoke ${plan ? plan.tokens.length + plan.certificates.length : ''} credential${plan && plan.tokens.length + plan.certificates.length === 1 ? '' : 's'}`}
        </button>
        <button type="button" className="secondary" onClick={onClose} disabled={busy}>
          Cancel
        </button>
      </div>
    </ModalDialog>
  );
}

/** One token's revoke button (token page); the same confirmation dialog as the list. */
export function RevokeTokenButton({ tokenId, again = false }: { tokenId: string; again?: boolean }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" data-testid="revoke-token" onClick={() => setOpen(true)}>
        {again ? 'Revoke again…' : 'Revoke…'}
      </button>
      {open ? <RevokeDialog tokenIds={[tokenId]} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/** Every active credential of an identity (identity page): its tokens and certificates. */
export function RevokeIdentityButton({ tokenIds, certificateIds }: { tokenIds: string[]; certificateIds: string[] }) {
  const [open, setOpen] = useState(false);
  if (tokenIds.length + certificateIds.length === 0) return null;
  return (
    <>
      <button type="button" data-testid="revoke-identity" onClick={() => setOpen(true)}>
        Revoke all its credentials…
      </button>
      {open ? <RevokeDialog tokenIds={tokenIds} certificateIds={certificateIds} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

/** One certificate's revoke button (certificate page): the certificate and every token bound to it. */
export function RevokeCertificateButton({ certificateId }: { certificateId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" data-testid="revoke-certificate" onClick={() => setOpen(true)}>
        Revoke certificate and its tokens…
      </button>
      {open ? <RevokeDialog tokenIds={[]} certificateIds={[certificateId]} onClose={() => setOpen(false)} /> : null}
    </>
  );
}
