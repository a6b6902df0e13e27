'use client';
// One change at a time for the access panels (users, API keys, connectors), on the dashboard's one
// submit hook (app/_components/submit.tsx): runs the API call, then `onDone` and a refresh of the
// server-rendered lists on success; the problem's message for the dialog on failure.
import { useSubmit } from '../../../_components/submit.tsx';

export function useAccessChange<T>(run: (change: T) => Promise<unknown>, onDone: () => void) {
  const s = useSubmit(async (change: T) => {
    await run(change);
    onDone();
  });
  return { submit: (change: T) => void s.run(change), busy: s.busy, error: s.error, reset: s.clear };
}

/** Timestamps as the other admin lists show them: UTC, to the minute. */
export const minute = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : null);
