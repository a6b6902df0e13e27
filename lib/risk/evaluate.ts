// Runs every rule over one estate snapshot and returns the drafts, most urgent first.
// Re-run after each ingest batch and on policy change; `reconcile` (re-exported here) turns the
// drafts into inserts, updates, resolutions and reopenings of stored findings.
import { FINDING_RULES, SEVERITY_ORDER, type FindingRule } from '../domain/types.ts';
import { buildContext } from './context.ts';
import { DEFAULT_POLICY, type Policy } from './policy.ts';
import { compareFindings } from './rank.ts';
import { RULES } from './rules/index.ts';
import type { EstateSnapshot, FindingDraft } from './snapshot.ts';

export { reconcile } from './reconcile.ts';
export type { ExistingFinding, ReconcileOptions, ReconcileResult } from './reconcile.ts';

export interface EvaluateOptions {
  policy?: Policy;
  /** Run only these rules (default: all). Pass the same list to reconcile's `evaluatedRules`. */
  rules?: readonly FindingRule[];
}

/** Evaluates all (or the selected) rules; one draft per dedupeKey, sorted by compareFindings. */
export function evaluate(snapshot: EstateSnapshot, now: Date, options: EvaluateOptions = {}): FindingDraft[] {
  const ctx = buildContext(snapshot, options.policy ?? DEFAULT_POLICY, now);
  const byKey = new Map<string, FindingDraft>();
  for (const rule of options.rules ?? FINDING_RULES) {
    for (const d of RULES[rule](ctx)) {
      const prev = byKey.get(d.dedupeKey);
      // Keys embed the rule and subject, so a clash means duplicate input rows: keep the most severe.
      if (!prev || SEVERITY_ORDER[d.severity] < SEVERITY_ORDER[prev.severity]) byKey.set(d.dedupeKey, d);
    }
  }
  return [...byKey.values()].sort(compareFindings);
}
