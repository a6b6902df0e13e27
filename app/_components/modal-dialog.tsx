'use client';
// The one modal of the dashboard. The native <dialog> opened with showModal() makes the page
// behind it inert; Tab and Shift+Tab are also kept inside it (a keyboard user never lands on the
// page behind), Escape closes it unless it is busy, and focus goes back to what opened it.
import { useEffect, useRef, type CSSProperties, type ReactNode, type RefObject } from 'react';

const FOCUSABLE = 'button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

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

export interface ModalDialogProps {
  /** The id of the element that names the dialog (its heading). */
  labelledBy: string;
  testId?: string;
  /** While busy, Escape does nothing (the action is under way). */
  busy?: boolean;
  /** Where focus starts; the first focusable element when absent. */
  initialFocus?: RefObject<HTMLElement | null>;
  maxWidth?: string;
  style?: CSSProperties;
  onClose(): void;
  children: ReactNode;
}

export function ModalDialog({ labelledBy, testId, busy = false, initialFocus, maxWidth = '34rem', style, onClose, children }: ModalDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const mounted = useRef(false);
  useEffect(() => {
    mounted.current = true;
    const opener = document.activeElement as HTMLElement | null;
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    (initialFocus?.current ?? dialog?.querySelector<HTMLElement>(FOCUSABLE))?.focus();
    return () => {
      mounted.current = false;
      dialog?.close();
      opener?.focus?.();
    };
    // Opened once per mount: the initial focus is read when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  return (
    <dialog
      ref={ref}
      aria-labelledby={labelledBy}
      data-testid={testId}
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
      style={{ border: '1px solid var(--line)', borderRadius: 8, padding: '1rem 1.25rem', maxWidth, width: 'calc(100vw - 2rem)', boxSizing: 'border-box', ...style }}
    >
      {children}
    </dialog>
  );
}
