// A mapping is only as good as its references: every entry must name a control that exists in
// its catalog, carry a rationale, and appear once. Built-ins are checked at load; custom
// frameworks at upload (custom-framework.ts).
import type { Catalog, MappingEntry } from './types.ts';

export interface MappingIssue {
  /** Where, as a path into the mapping (`mapping[3].controlId`) or catalog (`controls[2].id`). */
  path: string;
  code: 'unknown_control' | 'duplicate_control' | 'duplicate_mapping' | 'empty_rationale' | 'unknown_subject' | 'subject_unmapped';
  message: string;
}

export interface ValidateMappingOptions {
  /** Subjects an entry may name; when given, others are reported as `unknown_subject`. */
  knownSubjects?: readonly string[];
  /** Subjects that must map to at least one control (built-ins: all finding rules and positive controls). */
  requiredSubjects?: readonly string[];
}

/** Checks a catalog and its mapping; returns every issue found (empty when valid). */
export function validateMapping(catalog: Pick<Catalog, 'controls'>, mapping: readonly MappingEntry[], opts: ValidateMappingOptions = {}): MappingIssue[] {
  const issues: MappingIssue[] = [];
  const ids = new Set<string>();
  catalog.controls.forEach((c, i) => {
    if (ids.has(c.id)) issues.push({ path: `controls[${i}].id`, code: 'duplicate_control', message: `control ${c.id} is listed twice` });
    ids.add(c.id);
  });
  const seen = new Set<string>();
  const known = opts.knownSubjects ? new Set(opts.knownSubjects) : null;
  mapping.forEach((m, i) => {
    if (!ids.has(m.controlId)) {
      issues.push({ path: `mapping[${i}].controlId`, code: 'unknown_control', message: `control ${m.controlId} is not in the catalog` });
    }
    if (known && !known.has(m.subject)) {
      issues.push({ path: `mapping[${i}].subject`, code: 'unknown_subject', message: `${m.subject} is not a finding rule or positive control` });
    }
    if (m.rationale.trim() === '') issues.push({ path: `mapping[${i}].rationale`, code: 'empty_rationale', message: 'rationale is empty' });
    const key = `${m.subject}\u0000${m.controlId}`;
    if (seen.has(key)) {
      issues.push({ path: `mapping[${i}]`, code: 'duplicate_mapping', message: `${m.subject} → ${m.controlId} is mapped twice` });
    }
    seen.add(key);
  });
  for (const s of opts.requiredSubjects ?? []) {
    if (!mapping.some((m) => m.subject === s)) {
      issues.push({ path: 'mapping', code: 'subject_unmapped', message: `${s} maps to no control` });
    }
  }
  return issues;
}
