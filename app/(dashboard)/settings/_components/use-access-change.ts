'use client';
// One mutation at a time for the access panels: runs the API call, refreshes the server-rendered
// lists on success (router.refresh keeps the page a server component), and keeps the problem's
// message for the dialog on failure.
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { ApiProblem } from '../../../_components/api.ts';

export function useAccessChange<T>(run: (change: T) => Promise<unknown>, onDone: () => void) {
  const router = useRouter();
  const m = useMutation({
    mutationFn: run,
    onSuccess: () => {
      onDone();
      router.refresh();
    },
  });
  const error = m.error ? (m.error instanceof ApiProblem ? m.error.message : 'the change failed; nothing was changed') : null;
  return { submit: (change: T) => m.mutate(change), busy: m.isPending, error, reset: m.reset };
}

/** Timestamps as the other admin lists show them: UTC, to the minute. */
export const minute = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : null);
