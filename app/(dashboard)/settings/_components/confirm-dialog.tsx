'use client';
// A modal confirmation for access changes (revoke a key, disable a user, change a role), on the
// dashboard's one modal (focus kept inside, Escape cancels, focus returns to the opener). Focus
// starts on Cancel: the safe choice for an action that cannot be undone.
import { useRef, type ReactNode } from 'react';
import { ModalDialog } from '../../../_components/modal-dialog.tsx';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string | null;
  /** A destructive action: its button is styled as such. */
  danger?: boolean;
  onConfirm(): void;
  onClose(): void;
}

export function ConfirmDialog({ title, children, confirmLabel, busy = false, error = null, danger = false, onConfirm, onClose }: ConfirmDialogProps) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  return (
    <ModalDialog labelledBy="confirm-dialog-title" testId="confirm-dialog" busy={busy} initialFocus={cancelRef} onClose={onClose}>
      <h2 id="confirm-dialog-title">{title}</h2>
      <div>{children}</div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      <div style={{ display: 'flex', gap: '0.5rem', marginTop: '1rem', flexWrap: 'wrap' }}>
        <button type="button" data-testid="confirm-action" disabled={busy} onClick={onConfirm} style={danger ? { background: 'var(--bad)', borderColor: 'var(--bad)' } : undefined}>
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" className="secondary" ref={cancelRef} disabled={busy} onClick={onClose}>
          Cancel
        </button>
      </div>
    </ModalDialog>
  );
}
