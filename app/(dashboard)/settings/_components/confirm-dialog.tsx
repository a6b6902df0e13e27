'use client';
// A modal confirmation for access changes (revoke a key, disable a user, change a role). The
// native <dialog> opened with showModal() makes the page behind it inert; Tab and Shift+Tab are
// also kept inside it (a keyboard user never lands on the page behind), Escape cancels, and focus
// goes back to the button that opened it. Focus starts on Cancel: the safe choice for an action
// that cannot be undone.
import { useEffect, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

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

/** Tab from the last focusable element goes to the first, Shift+Tab from the first to the last. */
function trapTab(e: React.KeyboardEvent<HTMLDialogElement>): void {
  if (e.key !== 'Tab') return;
  const items = [...e.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  if (!items.length) return;
  const first = items[0]!;
  const last = items[items.length - 1]!;
  const active = document.activeElement;
  if (e.shiftKey && (active === first || !e.currentTarget.contains(active))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !e.currentTarget.contains(active))) {
    e.preventDefault();
    first.focus();
  }
}

export function ConfirmDialog({ title, children, confirmLabel, busy = false, error = null, danger = false, onConfirm, onClose }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    const opener = document.activeElement as HTMLElement | null;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    cancelRef.current?.focus();
    return () => {
      mounted.current = false;
      dialog?.close();
      opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby="confirm-dialog-title"
      data-testid="confirm-dialog"
      onKeyDown={trapTab}
      onCancel={(e) => {
        // Escape: closed through React state, so the opener's state and the DOM agree.
        e.preventDefault();
        if (!busy) onClose();
      }}
      onClose={() => {
        // Chromium closes without a cancelable cancel event on a repeated Escape (close watchers):
        // the state follows the DOM. Not after unmounting, when this component closed it itself.
        if (mounted.current) onClose();
      }}
      style={{ border: '1px solid var(--line)', borderRadius: 8, padding: '1rem 1.25rem', maxWidth: '34rem', width: 'calc(100vw - 2rem)', boxSizing: 'border-box' }}
    >
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
    </dialog>
  );
}
