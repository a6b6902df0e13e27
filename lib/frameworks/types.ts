// Vocabulary of framework mapping: catalogs (versioned data), mappings from our evidence
// subjects (finding rules, positive controls) to controls, and the statuses computed from
// evidence. Pure types, no runtime.
import type { FindingRule, PositiveControl, Severity } from '../domain/types.ts';

export type BuiltinFrameworkId =
  | 'owasp-nhi-2025'
  | 'nist-csf-2.0'
  | 'nist-sp-800-207'
  | 'nist-ai-rmf'
  | 'owasp-agentic-2026'
  | 'csa-maestro';

export const BUILTIN_FRAMEWORK_IDS: readonly BuiltinFrameworkId[] = [
  'owasp-nhi-2025',
  'nist-csf-2.0',
  'nist-sp-800-207',
  'nist-ai-rmf',
  'owasp-agentic-2026',
  'csa-maestro',
];

/** What a control can be mapped from: a finding rule (bad news) or a positive control (good news). */
export type EvidenceSubject = FindingRule | PositiveControl;

export interface Control {
  /** The ID exactly as the framework publishes it, e.g. `NHI1:2025`, `PR.AA-01`. */
  id: string;
  /** The title exactly as published. */
  title: string;
  /** Short description in our own words. */
  description: string;
  /** Grouping as published (CSF category, AI RMF function…), when the framework has one. */
  group?: string;
}

export interface Catalog {
  id: string;
  name: string;
  /** Version of the framework itself, e.g. `2025`, `2.0`. */
  version: string;
  /** Version of our catalog data (bumped when we edit controls or mappings). */
  catalogVersion: string;
  publisher: string;
  sourceUrl: string;
  custom: boolean;
  controls: readonly Control[];
}

export interface MappingEntry {
  subject: EvidenceSubject | string;
  controlId: string;
  /** One line: why this evidence bears on this control. */
  rationale: string;
}

/** A catalog with its mapping; what the registry serves and the exporters consume. */
export interface Framework extends Catalog {
  mapping: readonly MappingEntry[];
}

export type ControlStatus = 'satisfied' | 'not_satisfied' | 'partially_satisfied' | 'not_assessed';

export type SeverityCounts = Record<Severity, number>;

/** Aggregated evidence for the estate (or a time range): cheap to get with a GROUP BY. */
export interface EvidenceCounts {
  /** Open findings per rule, by severity. A rule absent here has zero open findings. */
  openFindings: Partial<Record<FindingRule | string, Partial<SeverityCounts>>>;
  /**
   * Positive-control checks per control: how many subjects passed, how many failed.
   * A control absent here was not evaluated — which is not the same as zero findings.
   */
  positive: Partial<Record<PositiveControl | string, { pass: number; fail: number }>>;
  /**
   * Finding rules that were evaluated in the period (the detector ran). A rule that ran and
   * found nothing is evidence of absence; a rule that never ran is no evidence at all.
   */
  rulesEvaluated: readonly (FindingRule | string)[];
}

export interface ControlEvidenceSummary {
  openFindings: number;
  bySeverity: SeverityCounts;
  positivePass: number;
  positiveFail: number;
  /** The subjects that contributed evidence, for links to the evidence views. */
  subjects: {
    subject: string;
    kind: 'finding_rule' | 'positive_control';
    rationale: string;
    openFindings: number;
    pass: number;
    fail: number;
    evaluated: boolean;
  }[];
}

export interface ControlAssessment {
  control: Control;
  status: ControlStatus;
  counts: ControlEvidenceSummary;
}
