// Findings re-evaluation after ingest, coalesced per database handle. An evaluation reads the
// whole estate, so running one per batch turns a burst of gateway batches into a queue of full
// evaluations that starves everything else (the dashboard first). Instead: at most one
// evaluation runs at a time and at most one waits behind it; every batch that commits while an
// evaluation runs is covered by that single next one, which starts no sooner than
// MIN_SPACING_MS after the previous start. A caller that must see findings that include its
// batch awaits `evaluateAfterCommit`; gateways don't wait (`scheduleAfterCommit`).
// An evaluation's cost grows with the estate (it aggregates every stored event), so under a
// sustained burst a fixed spacing would let evaluations run back to back and take a core of the
// database from ingest and the dashboard. Background-only evaluations therefore also keep to a
// duty cycle: after one that took D ms, the next starts no sooner than D × (1 / MAX_DUTY − 1) ms
// after it ended. Findings lag a little more under a burst; a waiting caller is never held back
// by the duty cycle, only by the spacing.
import type { Database } from '../../db/open.ts';
import { errorLine } from '../../errors.ts';
import { compactEventRollups } from '../event-rollup.ts';
import { maintainEvidenceHourly } from '../evidence/maintenance.ts';
import { evaluateFindings, type EvaluateFindingsResult } from './evaluate.ts';

/** Under sustained ingest, full evaluations start at most this often per instance. */
export const MIN_SPACING_MS = 2_000;
/** Under sustained background-only requests, evaluations take at most this share of the time. */
export const MAX_DUTY = 0.25;

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
  /**
   * Resolves with an evaluation that started after this call. `waiting`: a caller awaits the
   * result (not only scheduling one), so the duty cycle does not delay it.
   */
  request(actor: string, opts?: { waiting?: boolean }): Promise<EvaluateFindingsResult>;
  readonly runs: number;
}

export function createCoalescingEvaluator(
  run: (actor: string) => Promise<EvaluateFindingsResult>,
  opts: { minSpacingMs?: number; maxDuty?: number; onError?: (e: unknown) => void } = {},
): CoalescingEvaluator {
  const spacing = opts.minSpacingMs ?? MIN_SPACING_MS;
  const rest = 1 / Math.min(1, Math.max(0.01, opts.maxDuty ?? MAX_DUTY)) - 1;
  let running = false;
  type Queued = Deferred & { actor: string; waiting: boolean };
  let queued: Queued | null = null;
  let lastStart = -Infinity;
  let lastEnd = -Infinity;
  let lastDuration = 0;
  let runs = 0;

  const start = (d: Queued) => {
    running = true;
    void (async () => {
      // A waiting caller (re-read at each wake-up: one may join while we sleep) only keeps the spacing.
      for (;;) {
        const due = d.waiting ? lastStart + spacing : Math.max(lastStart + spacing, lastEnd + lastDuration * rest);
        const wait = due - Date.now();
        if (wait <= 0) break;
        await new Promise((r) => setTimeout(r, Math.min(wait, 250)));
      }
      if (queued === d) queued = null;
      lastStart = Date.now();
      runs++;
      try {
        d.resolve(await run(d.actor));
      } catch (e) {
        opts.onError?.(e);
        d.reject(e);
      } finally {
        lastEnd = Date.now();
        lastDuration = lastEnd - lastStart;
        running = false;
        const next = queued;
        queued = null;
        if (next) start(next);
      }
    })();
  };

  return {
    get runs() {
      return runs;
    },
    request(actor, { waiting = false } = {}) {
      if (!running) {
        const d: Queued = { ...deferred(), actor, waiting };
        queued = d;
        start(d);
        return d.promise;
      }
      queued ??= { ...deferred(), actor, waiting };
      queued.waiting ||= waiting;
      return queued.promise;
    },
  };
}

const evaluators = new WeakMap<Database, CoalescingEvaluator>();

function evaluatorFor(db: Database): CoalescingEvaluator {
  let e = evaluators.get(db);
  if (!e) {
    const say = (what: string, err: unknown) => process.stderr.write(`${what}: ${errorLine(err)}\n`);
    e = createCoalescingEvaluator(
      async (actor) => {
        const r = await evaluateFindings(db, { actor });
        // The same after-ingest job folds the event rollups' stripes of hours past (two hours
        // back: late lines still land in recent hours). Failing only leaves them unfolded.
        await compactEventRollups(db, new Date(Date.now() - 2 * 3_600_000)).catch((err) => say('event rollups: compaction failed', err));
        // And, at most hourly, the evidence store's partitions: next ones created, expired ones dropped.
        await maintainEvidenceHourly(db).catch((err) => say('evidence: maintenance failed', err));
        return r;
      },
      { onError: (err) => say('findings: evaluation after ingest failed', err) },
    );
    evaluators.set(db, e);
  }
  return e;
}

/** Waits for an evaluation that covers everything committed before this call. */
export function evaluateAfterCommit(db: Database, actor: string): Promise<EvaluateFindingsResult> {
  return evaluatorFor(db).request(actor, { waiting: true });
}

/** Schedules one (coalesced) without waiting; failures are reported on stderr, never thrown. */
export function scheduleAfterCommit(db: Database, actor: string): void {
  void evaluatorFor(db).request(actor).catch(() => {});
}
