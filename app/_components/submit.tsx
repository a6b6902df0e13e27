'use client';
// One home for what every dashboard form does when it is sent: a pending state, one request at a
// time (a second click or Enter while the first is under way sends nothing), the server's problem
// shown as one line where the form is, the page's server data refreshed after a success, and what
// the success returned kept for the form's message.
import { useRouter } from 'next/navigation';
import { useRef, useState, type FormEvent } from 'react';
import { ApiProblem } from './api.ts';

/** What a failed submit says: the problem's detail from the server, or one line when no answer came. */
export function problemText(err: unknown): string {
  if (err instanceof ApiProblem) return err.message;
  // fetch() rejects with a TypeError ("Failed to fetch") when the request got no answer.
  if (err instanceof TypeError) return 'the request got no answer (network error); try again';
  return err instanceof Error ? err.message : String(err);
}

export type FieldProblem = { path: string; message: string };

export interface Submit<A extends unknown[], R> {
  /** Runs the action unless one is under way; true when it succeeded. */
  run(...args: A): Promise<boolean>;
  busy: boolean;
  error: string | null;
  /** The server's per-field problems of the last failure (a 422 that names its fields), else []. */
  fieldErrors: FieldProblem[];
  /** What the last successful run returned (null again when the next one starts). */
  result: R | null;
  /** Forgets the error and the result (a dialog opened afresh). */
  clear(): void;
}

export function useSubmit<A extends unknown[], R>(action: (...args: A) => Promise<R>, { refresh = true }: { refresh?: boolean } = {}): Submit<A, R> {
  const router = useRouter();
  const running = useRef(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldProblem[]>([]);
  const [result, setResult] = useState<R | null>(null);

  async function run(...args: A): Promise<boolean> {
    // A ref, not the state: two clicks in one frame both see busy === false.
    if (running.current) return false;
    running.current = true;
    setBusy(true);
    setError(null);
    setFieldErrors([]);
    setResult(null);
    try {
      const r = await action(...args);
      setResult(() => r);
      if (refresh) router.refresh();
      return true;
    } catch (err) {
      setError(problemText(err));
      setFieldErrors(err instanceof ApiProblem ? err.errors : []);
      return false;
    } finally {
      running.current = false;
      setBusy(false);
    }
  }

  return {
    run,
    busy,
    error,
    fieldErrors,
    result,
    clear() {
      setError(null);
      setFieldErrors([]);
      setResult(null);
    },
  };
}

/** A form's onSubmit that runs `run` with the form (the browser does not navigate). */
export function onFormSubmit(run: (form: HTMLFormElement) => unknown) {
  return (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    void run(e.currentTarget);
  };
}

/** The one-line problem of a form, announced to screen readers; nothing when there is none. */
export function SubmitError({ error, testId }: { error: string | null; testId?: string }) {
  if (!error) return null;
  return (
    <p className="error" role="alert" data-testid={testId}>
      {error}
    </p>
  );
}
