// Findings re-evaluation after ingest, coalesced per database handle. An evaluation reads the
// whole estate, so running one per batch turns a burst of gateway batches into a queue of full
// evaluations that starves everything else (the dashboard first). Instead: at most one
// evaluation runs at a time and at most one waits behind it; every batch that commits while an
// evaluation runs is covered by that single next one, which starts no sooner than
// MIN_SPACING_MS after the previous start. A caller that must see findings that include its
// batch awaits `evaluateAfterCommit`; gateways don't wait (`scheduleAfterCommit`).
import type { Database } from '../../db/open.ts';
import { evaluateFindings, type EvaluateFindingsResult } from './evaluate.ts';

/** Under sustained ingest, full evaluations start at most this often per instance. */
export const MIN_SPACING_MS = 2_000;

interface Deferred {
  promise: Promise<EvaluateFindingsResult>;
  resolve: (r: EvaluateFindingsResult) => void;
  reject: (e: unknown) => void;
}

function deferred(): Deferred {
  let resolve!: Deferred['resolve'];
  let reject!: Deferred['reject'];
  const promise = new Promise<EvaluateFindingsResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // A background schedule may have no awaiting caller; its failure is reported by the runner.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

export interface CoalescingEvaluator {
  /** Resolves with an evaluation that started after this call. */
  request(actor: string): Promise<EvaluateFindingsResult>;
  readonly runs: number;
}

export function createCoalescingEvaluator(
  run: (actor: string) => Promise<EvaluateFindingsResult>,
  opts: { minSpacingMs?: number; onError?: (e: unknown) => void } = {},
): CoalescingEvaluator {
  const spacing = opts.minSpacingMs ?? MIN_SPACING_MS;
  let running = false;
  let queued: (Deferred & { actor: string }) | null = null;
  let lastStart = -Infinity;
  let runs = 0;

  const start = (d: Deferred, actor: string) => {
    running = true;
    void (async () => {
      const wait = lastStart + spacing - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      lastStart = Date.now();
      runs++;
      try {
        d.resolve(await run(actor));
      } catch (e) {
        opts.onError?.(e);
        d.reject(e);
      } finally {
        running = false;
        const next = queued;
        queued = null;
        if (next) start(next, next.actor);
      }
    })();
  };

  return {
    get runs() {
      return runs;
    },
    request(actor) {
      if (!running) {
        const d = deferred();
        start(d, actor);
        return d.promise;
      }
      queued ??= { ...deferred(), actor };
      return queued.promise;
    },
  };
}

const evaluators = new WeakMap<Database, CoalescingEvaluator>();

function evaluatorFor(db: Database): CoalescingEvaluator {
  let e = evaluators.get(db);
  if (!e) {
    e = createCoalescingEvaluator((actor) => evaluateFindings(db, { actor }), {
      onError: (err) => process.stderr.write(`findings: evaluation after ingest failed: ${String((err as Error)?.message ?? err).split('\n')[0]}\n`),
    });
    evaluators.set(db, e);
  }
  return e;
}

/** Waits for an evaluation that covers everything committed before this call. */
export function evaluateAfterCommit(db: Database, actor: string): Promise<EvaluateFindingsResult> {
  return evaluatorFor(db).request(actor);
}

/** Schedules one (coalesced) without waiting; failures are reported on stderr, never thrown. */
export function scheduleAfterCommit(db: Database, actor: string): void {
  void evaluatorFor(db).request(actor).catch(() => {});
}
