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
//
// What one evaluation covers: a batch that only changed some tokens' requests asks for those
// tokens (`scope`); the requests that coalesce into one evaluation merge their scopes, and any
// request for the whole estate makes it whole. On a large estate a scoped request is evaluated
// for its tokens only (TOKEN_RULES: a batch's worth of tokens in a fraction of a second instead
// of minutes for a million tokens), and the whole estate — the rules that look across tokens,
// identities, certificates, gateways and hops, and everything time alone changes — at least every
// WHOLE_ESTATE_EVERY_MS while batches keep coming. On a small estate every run is whole.
import type { Database } from '../../db/open.ts';
import { errorLine } from '../../errors.ts';
import { compactEventRollups } from '../event-rollup.ts';
import { maintainEvidenceHourly } from '../evidence/maintenance.ts';
import { evaluateFindings, type EvaluateFindingsResult } from './evaluate.ts';

/** Under sustained ingest, full evaluations start at most this often per instance. */
export const MIN_SPACING_MS = 2_000;
/** Under sustained background-only requests, evaluations take at most this share of the time. */
export const MAX_DUTY = 0.25;
/** Below this many tokens a whole-estate evaluation takes a few seconds at most: every run is whole. */
export const SCOPED_FROM_TOKENS = 50_000;
/** A scope of more tokens than this is evaluated whole (one pass is cheaper than the lookups). */
export const MAX_SCOPED_TOKENS = 100_000;
/** On a large estate under ingest, the whole estate is evaluated at least this often. */
export const WHOLE_ESTATE_EVERY_MS = 15 * 60_000;

/** What an evaluation must cover: the whole estate, or the findings of some tokens. */
export type EvaluationScope = 'estate' | ReadonlySet<string>;

/** Two requests' scopes as one. */
export function mergeScopes(a: EvaluationScope, b: EvaluationScope): EvaluationScope {
  if (a === 'estate' || b === 'estate') return 'estate';
  const out = new Set(a);
  for (const id of b) out.add(id);
  return out;
}

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
  request(actor: string, opts?: { waiting?: boolean; scope?: EvaluationScope }): Promise<EvaluateFindingsResult>;
  readonly runs: number;
}

export function createCoalescingEvaluator(
  run: (actor: string, scope: EvaluationScope) => Promise<EvaluateFindingsResult>,
  opts: { minSpacingMs?: number; maxDuty?: number; onError?: (e: unknown) => void } = {},
): CoalescingEvaluator {
  const spacing = opts.minSpacingMs ?? MIN_SPACING_MS;
  const rest = 1 / Math.min(1, Math.max(0.01, opts.maxDuty ?? MAX_DUTY)) - 1;
  let running = false;
  type Queued = Deferred & { actor: string; waiting: boolean; scope: EvaluationScope };
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
        d.resolve(await run(d.actor, d.scope));
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
    request(actor, { waiting = false, scope = 'estate' } = {}) {
      if (!running) {
        const d: Queued = { ...deferred(), actor, waiting, scope };
        queued = d;
        start(d);
        return d.promise;
      }
      if (queued) queued.scope = mergeScopes(queued.scope, scope);
      queued ??= { ...deferred(), actor, waiting, scope };
      queued.waiting ||= waiting;
      return queued.promise;
    },
  };
}

const evaluators = new WeakMap<Database, CoalescingEvaluator>();

/**
 * Whether a run for `scope` may be scoped: the estate is large (the trigger-kept token count),
 * the scope small, and the whole estate was evaluated within WHOLE_ESTATE_EVERY_MS.
 */
export async function tokensToEvaluate(
  db: Database,
  scope: EvaluationScope,
  lastWholeAt: number,
  nowMs: number,
  limits: { scopedFromTokens?: number; wholeEveryMs?: number } = {},
): Promise<string[] | null> {
  if (scope === 'estate' || scope.size > MAX_SCOPED_TOKENS) return null;
  if (nowMs - lastWholeAt >= (limits.wholeEveryMs ?? WHOLE_ESTATE_EVERY_MS)) return null;
  const [row] = await db.query<{ n: number }>(`SELECT coalesce(sum("count"), 0)::float8 AS n FROM "TokenCount"`);
  if (Number(row?.n ?? 0) < (limits.scopedFromTokens ?? SCOPED_FROM_TOKENS)) return null;
  return [...scope];
}

function evaluatorFor(db: Database): CoalescingEvaluator {
  let e = evaluators.get(db);
  if (!e) {
    const say = (what: string, err: unknown) => process.stderr.write(`${what}: ${errorLine(err)}\n`);
    let lastWholeAt = -Infinity;
    e = createCoalescingEvaluator(
      async (actor, scope) => {
        const startedAt = Date.now();
        const tokenIds = await tokensToEvaluate(db, scope, lastWholeAt, startedAt);
        const r = await evaluateFindings(db, { actor, ...(tokenIds ? { scope: { tokenIds } } : {}) });
        if (!tokenIds) lastWholeAt = startedAt;
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

/** Waits for an evaluation that covers everything committed before this call (or in `scope`). */
export function evaluateAfterCommit(db: Database, actor: string, scope: EvaluationScope = 'estate'): Promise<EvaluateFindingsResult> {
  return evaluatorFor(db).request(actor, { waiting: true, scope });
}

/** Schedules one (coalesced) without waiting; failures are reported on stderr, never thrown. */
export function scheduleAfterCommit(db: Database, actor: string, scope: EvaluationScope = 'estate'): void {
  void evaluatorFor(db).request(actor, { scope }).catch(() => {});
}
