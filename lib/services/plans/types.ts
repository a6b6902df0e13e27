// Saved plans as the API answers them.
import type { PlanPolicy, PlanProgress, RolloutPlan } from '../../plan/index.ts';

export interface SavedPlanSummary {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  range: { from: string; to: string };
  policy: PlanPolicy;
  totals: RolloutPlan['totals'];
  waves: { wave: number; title: string; identities: number; expectedRefused: number }[];
}

/** Progress per day since the plan was saved: each wave's compliance ratio that day. */
export interface ProgressPoint {
  day: string;
  waves: { wave: number; ratio: number | null; enforced: boolean }[];
}

export interface SavedPlan {
  id: string;
  name: string;
  createdAt: string;
  createdBy: string;
  plan: RolloutPlan;
  /** Since the plan was saved, up to now. */
  progress: PlanProgress;
  history: ProgressPoint[];
}
