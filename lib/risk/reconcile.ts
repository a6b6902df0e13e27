// Turns a fresh evaluation into changes to stored findings, honouring acknowledgements:
//   draft, nothing stored                     → toOpen
//   draft, stored open                        → toUpdate (status stays open)
//   draft, stored acknowledged, ack in force  → toUpdate (stays acknowledged: risk accepted)
//   draft, stored acknowledged, ack expired   → toReopen 'ack_expired' (evidence remains)
//   draft more severe than the acknowledged one → toReopen 'severity_raised' (the risk accepted
//                                               was smaller than the risk now)
//   draft, stored resolved                    → toReopen 'evidence_returned'
//   no draft, stored open or acknowledged     → toResolve 'evidence_gone'
// Stored findings of rules that were not evaluated this run are left alone.
// `ackUntil` null on an acknowledged finding means "until revoked by a person".
import { FINDING_RULES, SEVERITY_ORDER, type FindingRule, type Severity } from '../domain/types.ts';
import type { FindingDraft, Json } from './snapshot.ts';

export type FindingStatus = 'open' | 'acknowledged' | 'resolved';

/** The stored Finding fields reconcile needs. Pass every open and acknowledged finding, plus
 *  resolved ones whose dedupeKey appears among the drafts (dedupeKey is unique in the table). */
export interface ExistingFinding {
  id: string;
  dedupeKey: string;
  rule: FindingRule;
  severity: Severity;
  status: FindingStatus;
  ackUntil: Date | null;
  blastRadius: number;
  evidence: Json;
}

export interface ReconcileOptions {
  /** Rules that ran (default: all). Findings of other rules are neither resolved nor touched. */
  evaluatedRules?: readonly FindingRule[];
}

export interface FindingUpdate {
  id: string;
  draft: FindingDraft;
  status: 'open' | 'acknowledged';
  /** False when only lastSeenAt moves (severity, blast radius and evidence unchanged). */
  changed: boolean;
}

export interface FindingReopen {
  id: string;
  draft: FindingDraft;
  reason: 'ack_expired' | 'severity_raised' | 'evidence_returned';
}

export interface FindingResolve {
  id: string;
  dedupeKey: string;
  reason: 'evidence_gone';
}

export interface ReconcileResult {
  toOpen: FindingDraft[];
  toUpdate: FindingUpdate[];
  toResolve: FindingResolve[];
  toReopen: FindingReopen[];
}

/** Canonical JSON (sorted keys), so evidence read back from jsonb compares equal. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
    .join(',')}}`;
}

/** Plans the changes; pure — the caller applies them in one transaction and writes history. */
export function reconcile(
  existing: readonly ExistingFinding[],
  drafts: readonly FindingDraft[],
  now: Date,
  options: ReconcileOptions = {},
): ReconcileResult {
  const evaluated = new Set(options.evaluatedRules ?? FINDING_RULES);
  const stored = new Map(existing.map((f) => [f.dedupeKey, f]));
  const drafted = new Set<string>();
  const out: ReconcileResult = { toOpen: [], toUpdate: [], toResolve: [], toReopen: [] };

  for (const d of drafts) {
    drafted.add(d.dedupeKey);
    const f = stored.get(d.dedupeKey);
    if (!f) {
      out.toOpen.push(d);
      continue;
    }
    const changed = f.severity !== d.severity || f.blastRadius !== d.blastRadius || canonicalJson(f.evidence) !== canonicalJson(d.evidence);
    if (f.status === 'resolved') {
      out.toReopen.push({ id: f.id, draft: d, reason: 'evidence_returned' });
    } else if (f.status === 'open') {
      out.toUpdate.push({ id: f.id, draft: d, status: 'open', changed });
    } else if (f.ackUntil !== null && f.ackUntil.getTime() <= now.getTime()) {
      out.toReopen.push({ id: f.id, draft: d, reason: 'ack_expired' });
    } else if (SEVERITY_ORDER[d.severity] < SEVERITY_ORDER[f.severity]) {
      out.toReopen.push({ id: f.id, draft: d, reason: 'severity_raised' });
    } else {
      out.toUpdate.push({ id: f.id, draft: d, status: 'acknowledged', changed });
    }
  }

  for (const f of existing) {
    if (drafted.has(f.dedupeKey) || f.status === 'resolved' || !evaluated.has(f.rule)) continue;
    out.toResolve.push({ id: f.id, dedupeKey: f.dedupeKey, reason: 'evidence_gone' });
  }
  return out;
}
