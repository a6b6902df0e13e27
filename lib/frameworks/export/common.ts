// Shared by the writers: which controls each evidence subject lands on, and the assessments.
import { assessControls } from '../control-status.ts';
import type { Control, ControlAssessment, Framework } from '../types.ts';
import type { ExportMeta, ExportSource } from './types.ts';

export interface ControlLink {
  control: Control;
  rationale: string;
}

/** subject → the controls it maps to in this framework, in catalog order. */
export function controlsBySubject(framework: Framework): Map<string, ControlLink[]> {
  const byId = new Map(framework.controls.map((c, i) => [c.id, { c, i }]));
  const out = new Map<string, (ControlLink & { order: number })[]>();
  for (const m of framework.mapping) {
    const hit = byId.get(m.controlId);
    if (!hit) continue;
    const list = out.get(m.subject) ?? [];
    list.push({ control: hit.c, rationale: m.rationale, order: hit.i });
    out.set(m.subject, list);
  }
  const sorted = new Map<string, ControlLink[]>();
  for (const [k, v] of out) sorted.set(k, v.sort((a, b) => a.order - b.order).map(({ control, rationale }) => ({ control, rationale })));
  return sorted;
}

export function assess(meta: ExportMeta, source: ExportSource): ControlAssessment[] {
  return assessControls(meta.framework, source.evidence);
}

export function iso(d: Date | null | undefined): string {
  return d ? d.toISOString() : '';
}

export const STATUS_WORDS = {
  satisfied: 'Satisfied',
  partially_satisfied: 'Partially satisfied',
  not_satisfied: 'Not satisfied',
  not_assessed: 'Not assessed',
} as const;
