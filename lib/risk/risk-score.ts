// Per-identity risk score, 0–100, with the findings that make it up.
//
// Each open finding has a weight by severity (critical 60, high 30, medium 10, low 3, info 0).
// Weights combine like independent probabilities: score = 100 · (1 − Π(1 − wᵢ/100)), so one
// critical alone is 60, the score rises with every finding, never passes 100, and ten mediums
// (65) do not outrank a critical plus a high (72). Acknowledged findings (risk accepted) and
// resolved ones do not count; acknowledged ones are listed as `accepted` so the page shows them.
// Contributions are assigned in weight order (heaviest first) and sum to the unrounded score.
import { SEVERITY_ORDER, type FindingRule, type Severity } from '../domain/types.ts';
import { RULE_LABELS, SEVERITY_WORDS } from './words.ts';

export const SEVERITY_WEIGHT: Record<Severity, number> = { critical: 60, high: 30, medium: 10, low: 3, info: 0 };

export interface ScoredFinding {
  dedupeKey: string;
  rule: FindingRule;
  severity: Severity;
  status: 'open' | 'acknowledged' | 'resolved';
}

export interface RiskContribution {
  dedupeKey: string;
  rule: FindingRule;
  ruleLabel: string;
  severity: Severity;
  weight: number;
  /** Points this finding adds to the score (unrounded; the list sums to the score). */
  contribution: number;
}

export type RiskBand = 'critical' | 'high' | 'medium' | 'low' | 'none';

export interface RiskScore {
  score: number;
  band: RiskBand;
  breakdown: RiskContribution[];
  bySeverity: Record<Severity, { label: string; count: number; points: number }>;
  /** Acknowledged findings left out of the score. */
  accepted: number;
}

function band(score: number): RiskBand {
  if (score >= 80) return 'critical';
  if (score >= 50) return 'high';
  if (score >= 20) return 'medium';
  if (score > 0) return 'low';
  return 'none';
}

/** Risk score of one identity from its findings (any status; only open ones count). */
export function riskScore(findings: readonly ScoredFinding[]): RiskScore {
  const open = findings
    .filter((f) => f.status === 'open')
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.dedupeKey < b.dedupeKey ? -1 : a.dedupeKey > b.dedupeKey ? 1 : 0));
  let remaining = 100;
  const breakdown: RiskContribution[] = [];
  const bySeverity = Object.fromEntries(
    (Object.keys(SEVERITY_WEIGHT) as Severity[]).map((s) => [s, { label: SEVERITY_WORDS[s], count: 0, points: 0 }]),
  ) as RiskScore['bySeverity'];
  for (const f of open) {
    const weight = SEVERITY_WEIGHT[f.severity];
    const contribution = (remaining * weight) / 100;
    remaining -= contribution;
    breakdown.push({ dedupeKey: f.dedupeKey, rule: f.rule, ruleLabel: RULE_LABELS[f.rule], severity: f.severity, weight, contribution });
    bySeverity[f.severity].count += 1;
    bySeverity[f.severity].points += contribution;
  }
  const score = Math.round(100 - remaining);
  return { score, band: band(score), breakdown, bySeverity, accepted: findings.filter((f) => f.status === 'acknowledged').length };
}
