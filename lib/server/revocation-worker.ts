// The process-wide revocation worker loop (started by lib/server/start.ts), shared through
// globalThis so a route handler can wake it right after a revocation is recorded.
import type { WorkerLoop } from '../revocation/run-revocation-worker.ts';

const KEY = Symbol.for('holdfast.revocationWorker');
type Slot = { loop?: WorkerLoop };
const slot = ((globalThis as Record<symbol, unknown>)[KEY] ??= {}) as Slot;

export function registerRevocationWorker(loop: WorkerLoop | undefined): void {
  slot.loop = loop;
}

/** Wakes the worker if this process runs one; otherwise the next interval picks the legs up. */
export function kickRevocationWorker(): void {
  slot.loop?.kick();
}
