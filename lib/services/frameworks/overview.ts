// What the Frameworks page and GET /api/v1/frameworks/:id/controls show: every control with its
// status and counts (from evidenceCounts), the CSF 1.1 crosswalk for CSF 2.0, links to the views
// that hold the evidence, and, for one control, the findings, tokens and identities behind it.
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import {
  assessControls,
  csf20From11,
  POSITIVE_CONTROLS,
  statusEvidence,
  statusTotals,
  type StatusEvidence,
  type ControlStatus,
  type EvidenceCounts,
  type Framework,
} from '../../frameworks/index.ts';
import { getFramework, listFrameworks } from './catalog.ts';
import { evidenceCounts, POSITIVE_CONTROL_DEFINITIONS, type EvidenceRange } from './evidence.ts';

/** Where the evidence for a subject lives in the dashboard. */
export function evidenceHref(subject: string): string {
  switch (subject) {
    case 'sender_constrained_enforced':
      return '/findings?rule=bound_not_enforced';
    case 'ttl_within_policy':
      return '/findings?rule=ttl_over_policy';
    case 'certificate_unique_per_workload':
      return '/findings?rule=credential_shared';
    case 'revocation_confirmed':
    case 'revocation_effective':
      return '/revocations';
    default:
      return `/findings?rule=${encodeURIComponent(subject)}`;
  }
}

export interface FrameworkSummary {
  id: string;
  name: string;
  version: string;
  catalogVersion: string;
  publisher: string;
  sourceUrl: string;
  custom: boolean;
  controls: number;
  totals: Record<ControlStatus, number>;
}

export interface ControlView {
  id: string;
  title: string;
  description: string;
  group: string | null;
  status: ControlStatus;
  /** What the status rests on: checks passed/failed, open findings, mapped rules that ran (and a sentence). */
  statusEvidence: StatusEvidence;
  /** CSF 2.0 only: the CSF 1.1 subcategories this one took over. */
  csf11: string[];
  counts: { openFindings: number; bySeverity: Record<string, number>; positivePass: number; positiveFail: number };
  evidence: { subject: string; kind: 'finding_rule' | 'positive_control'; rationale: string; openFindings: number; pass: number; fail: number; evaluated: boolean; href: string; definition?: string }[];
  /** Findings of the mapped rules that were unresolved at `since` and at the end of the range. */
  trend: { since: string; previous: number; current: number; delta: number };
}

/** Default look-back of the per-control trend. */
export const TREND_DAYS = 7;

/**
 * Unresolved findings per rule at two instants, from each finding's own history: a finding was
 * unresolved at T if it was first seen by T and not resolved by T (acknowledgements do not
 * change this: risk accepted is still risk present).
 */
export async function unresolvedFindingsAt(db: Database, at: Date, since: Date): Promise<Map<string, { previous: number; current: number }>> {
  const rows = await db.query<{ rule: string; current: number; previous: number }>(
    `SELECT rule,
            count(*) FILTER (WHERE "firstSeenAt" <= $1 AND ("resolvedAt" IS NULL OR "resolvedAt" > $1))::int AS current,
            count(*) FILTER (WHERE "firstSeenAt" <= $2 AND ("resolvedAt" IS NULL OR "resolvedAt" > $2))::int AS previous
       FROM "Finding" WHERE "firstSeenAt" <= $1 GROUP BY rule`,
    [at, since],
  );
  return new Map(rows.map((r) => [r.rule, { previous: Number(r.previous), current: Number(r.current) }]));
}

export interface FrameworkOverview {
  framework: Omit<FrameworkSummary, 'totals' | 'controls'>;
  range: { from: string | null; to: string };
  totals: Record<ControlStatus, number>;
  controls: ControlView[];
}

function summary(f: Framework, evidence: EvidenceCounts): FrameworkSummary {
  return {
    id: f.id,
    name: f.name,
    version: f.version,
    catalogVersion: f.catalogVersion,
    publisher: f.publisher,
    sourceUrl: f.sourceUrl,
    custom: f.custom,
    controls: f.controls.length,
    totals: statusTotals(assessControls(f, evidence)),
  };
}

/** Every framework with its per-status totals (one evidence query for all of them). */
export async function listFrameworkSummaries(db: Database, range: EvidenceRange = {}, opts: { evidence?: EvidenceCounts } = {}): Promise<FrameworkSummary[]> {
  const [frameworks, evidence] = await Promise.all([listFrameworks(db), opts.evidence ?? evidenceCounts(db, range)]);
  return frameworks.map((f) => summary(f, evidence));
}

/** One framework's controls with status, counts, crosswalk and evidence links. */
export async function frameworkOverview(db: Database, id: string, range: EvidenceRange = {}, opts: { now?: Date; evidence?: EvidenceCounts; trendDays?: number } = {}): Promise<FrameworkOverview> {
  const f = await getFramework(db, id);
  const now = opts.now ?? new Date();
  const evidence = opts.evidence ?? (await evidenceCounts(db, range, { now }));
  const to = range.to ?? now;
  const since = new Date(to.getTime() - (opts.trendDays ?? TREND_DAYS) * 86_400_000);
  const byRule = await unresolvedFindingsAt(db, to, since);
  const assessments = assessControls(f, evidence);
  const positive = new Set<string>(POSITIVE_CONTROLS);
  const { totals: _t, controls: _c, ...fw } = summary(f, evidence);
  return {
    framework: fw,
    range: { from: range.from?.toISOString() ?? null, to: (range.to ?? now).toISOString() },
    totals: statusTotals(assessments),
    controls: assessments.map((a) => ({
      id: a.control.id,
      title: a.control.title,
      description: a.control.description,
      group: a.control.group ?? null,
      status: a.status,
      statusEvidence: statusEvidence(a.status, a.counts),
      csf11: f.id === 'nist-csf-2.0' ? [...csf20From11(a.control.id)] : [],
      counts: { openFindings: a.counts.openFindings, bySeverity: { ...a.counts.bySeverity }, positivePass: a.counts.positivePass, positiveFail: a.counts.positiveFail },
      evidence: a.counts.subjects.map((s) => ({
        ...s,
        href: evidenceHref(s.subject),
        ...(positive.has(s.subject) ? { definition: POSITIVE_CONTROL_DEFINITIONS[s.subject] } : {}),
      })),
      trend: (() => {
        let previous = 0;
        let current = 0;
        for (const subj of new Set(f.mapping.filter((m) => m.controlId === a.control.id && !positive.has(m.subject)).map((m) => m.subject))) {
          const r = byRule.get(subj);
          previous += r?.previous ?? 0;
          current += r?.current ?? 0;
        }
        return { since: since.toISOString(), previous, current, delta: current - previous };
      })(),
    })),
  };
}

export interface ControlEvidence {
  control: ControlView;
  findings: { id: string; rule: string; severity: string; title: string; identity: string | null; tokenId: string | null; tokenFingerprint: string | null; lastSeenAt: string }[];
  identities: { id: string; name: string; kind: string; openFindings: number }[];
  tokens: number;
}

/** The evidence behind one control: top open findings of its mapped rules, the identities and tokens they touch. */
export async function controlEvidence(db: Database, frameworkId: string, controlId: string, opts: { range?: EvidenceRange; limit?: number; overview?: FrameworkOverview } = {}): Promise<ControlEvidence> {
  const overview = opts.overview ?? (await frameworkOverview(db, frameworkId, opts.range));
  const control = overview.controls.find((c) => c.id === controlId);
  if (!control) throw new HoldfastError('not_found', `framework ${frameworkId} has no control ${controlId}`);
  const rules = control.evidence.filter((e) => e.kind === 'finding_rule').map((e) => e.subject);
  const limit = Math.min(Math.max(opts.limit ?? 20, 1), 200);
  const to = new Date(overview.range.to);
  const findings = await db.query<{ id: string; rule: string; severity: string; title: string; identity: string | null; tokenId: string | null; tokenFingerprint: string | null; lastSeenAt: Date | string }>(
    `SELECT f.id::text AS id, f.rule, f.severity, f.title, i.name AS identity, f."tokenId"::text AS "tokenId", t.fingerprint AS "tokenFingerprint", f."lastSeenAt"
       FROM "Finding" f LEFT JOIN "Identity" i ON i.id = f."identityId" LEFT JOIN "Token" t ON t.id = f."tokenId"
      WHERE f.rule = ANY($1::text[]) AND f.status = 'open' AND f."firstSeenAt" <= $2
      ORDER BY CASE f.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, f."blastRadius" DESC, f.id
      LIMIT ${limit}`,
    [rules, to],
  );
  const identities = await db.query<{ id: string; name: string; kind: string; n: number }>(
    `SELECT i.id::text AS id, i.name, i.kind, count(*)::int AS n
       FROM "Finding" f JOIN "Identity" i ON i.id = f."identityId"
      WHERE f.rule = ANY($1::text[]) AND f.status = 'open' AND f."firstSeenAt" <= $2
      GROUP BY i.id, i.name, i.kind ORDER BY n DESC, i.name LIMIT 10`,
    [rules, to],
  );
  const [tok] = await db.query<{ n: number }>(
    `SELECT count(DISTINCT f."tokenId")::int AS n FROM "Finding" f WHERE f.rule = ANY($1::text[]) AND f.status = 'open' AND f."firstSeenAt" <= $2`,
    [rules, to],
  );
  return {
    control,
    findings: findings.map((r) => ({ ...r, lastSeenAt: new Date(r.lastSeenAt).toISOString() })),
    identities: identities.map((r) => ({ id: r.id, name: r.name, kind: r.kind, openFindings: Number(r.n) })),
    tokens: Number(tok?.n ?? 0),
  };
}
