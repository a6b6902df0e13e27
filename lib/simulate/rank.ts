// Ranking of impact rows and their zero values.
import type { BrokenCounts, CategoryCounts, ImpactRow, PresentedCounts } from './types.ts';

export function emptyCounts(): CategoryCounts {
  return { total: 0, wouldBeRefused: 0, attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, unaffected: 0, unknown: 0, sameAttackOtherHops: 0 };
}

export function emptyBroken(): BrokenCounts {
  return { bearer: 0, bound_without_proof: 0, context_stripped: 0, wrong_mechanism: 0, ttl_over_limit: 0 };
}

export function emptyPresented(): PresentedCounts {
  return { certificate: 0, dpopKey: 0, none: 0 };
}

/** Most impact first: requests the policy would refuse, then legitimate ones among them, then volume, then name. */
export function rankRows<T extends ImpactRow>(rows: T[]): T[] {
  return rows.sort((a, b) => b.wouldBeRefused - a.wouldBeRefused || b.legitimateBroken - a.legitimateBroken || b.total - a.total || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
