// How a revocation's state follows from its legs. "Confirmed" is all-or-nothing: one leg
// confirmed while another still retries or has failed is `partial`, never silently done.
import type { LegState, RevocationState } from './types.ts';

export interface LegFacts {
  state: LegState | string;
  attempts: number;
}

/** State of a revocation from its legs' states; `done` when no leg will be tried again. */
export function deriveRevocationState(legs: readonly LegFacts[]): { state: RevocationState; done: boolean } {
  const confirmed = legs.filter((l) => l.state === 'confirmed').length;
  const failed = legs.filter((l) => l.state === 'failed').length;
  const done = confirmed + failed === legs.length;
  if (legs.length === 0) return { state: 'failed', done: true };
  if (confirmed === legs.length) return { state: 'confirmed', done };
  if (failed === legs.length) return { state: 'failed', done };
  if (confirmed > 0) return { state: 'partial', done };
  // Nothing confirmed yet: some failed and the rest are still being tried, or first attempts.
  const touched = failed > 0 || legs.some((l) => l.attempts > 0 || l.state === 'in_progress');
  return { state: touched ? 'in_progress' : 'pending', done };
}

/** Exponential backoff with equal jitter: half the delay fixed, half random. */
export function backoffDelayMs(attempts: number, opts: { baseMs: number; maxMs: number; random: () => number }): number {
  const exp = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + opts.random() * (exp / 2));
}
