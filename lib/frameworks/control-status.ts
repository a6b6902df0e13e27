// Control status for the estate, from evidence counts. The rule, in order:
//   1. No mapped subject produced evidence (no rule evaluated, no positive check run) → not_assessed.
//      Zero findings from a detector that never ran proves nothing, so it is never `satisfied`.
//   2. Any open critical or high finding on a mapped rule → not_satisfied.
//   3. Any open medium/low finding or failed positive check:
//        with some passing evidence (a passed check, or a mapped rule that ran clean) → partially_satisfied,
//        otherwise → not_satisfied.
//   4. Otherwise → satisfied.
// `info` findings are counted and shown but do not change the status: they report, not fail.
import type { Severity } from '../domain/types.ts';
import { isPositiveControl } from './mapping.ts';
import type { ControlAssessment, ControlEvidenceSummary, ControlStatus, EvidenceCounts, Framework, SeverityCounts } from './types.ts';

const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export function emptySeverityCounts(): SeverityCounts {
  return { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
}

/** Decides one control's status from its summed evidence (rule above). */
export function decideStatus(s: ControlEvidenceSummary): ControlStatus {
  const evaluated = s.subjects.some((x) => x.evaluated);
  if (!evaluated) return 'not_assessed';
  if (s.bySeverity.critical > 0 || s.bySeverity.high > 0) return 'not_satisfied';
  const bad = s.bySeverity.medium + s.bySeverity.low + s.positiveFail;
  if (bad === 0) return 'satisfied';
  const cleanRule = s.subjects.some((x) => x.kind === 'finding_rule' && x.evaluated && x.openFindings === 0);
  return s.positivePass > 0 || cleanRule ? 'partially_satisfied' : 'not_satisfied';
}

/** Every control of a framework with its status and counts, computed from evidence. Pure. */
export function assessControls(framework: Pick<Framework, 'controls' | 'mapping'>, evidence: EvidenceCounts): ControlAssessment[] {
  const evaluatedRules = new Set(evidence.rulesEvaluated);
  return framework.controls.map((control) => {
    const counts: ControlEvidenceSummary = { openFindings: 0, bySeverity: emptySeverityCounts(), positivePass: 0, positiveFail: 0, subjects: [] };
    for (const m of framework.mapping) {
      if (m.controlId !== control.id) continue;
      if (isPositiveControl(m.subject)) {
        const p = evidence.positive[m.subject];
        const pass = p?.pass ?? 0;
        const fail = p?.fail ?? 0;
        counts.positivePass += pass;
        counts.positiveFail += fail;
        counts.subjects.push({ subject: m.subject, kind: 'positive_control', rationale: m.rationale, openFindings: 0, pass, fail, evaluated: pass + fail > 0 });
      } else {
        const bySev = evidence.openFindings[m.subject] ?? {};
        let n = 0;
        for (const sev of SEVERITIES) {
          const c = bySev[sev] ?? 0;
          counts.bySeverity[sev] += c;
          n += c;
        }
        counts.openFindings += n;
        counts.subjects.push({
          subject: m.subject,
          kind: 'finding_rule',
          rationale: m.rationale,
          openFindings: n,
          pass: 0,
          fail: 0,
          // Open findings prove the rule ran even if the caller forgot to list it.
          evaluated: n > 0 || evaluatedRules.has(m.subject),
        });
      }
    }
    return { control, status: decideStatus(counts), counts };
  });
}

/** Totals per status, for summary lines and coverage charts. */
export function statusTotals(assessments: readonly ControlAssessment[]): Record<ControlStatus, number> {
  const t: Record<ControlStatus, number> = { satisfied: 0, partially_satisfied: 0, not_satisfied: 0, not_assessed: 0 };
  for (const a of assessments) t[a.status] += 1;
  return t;
}

/**
 * The evidence a status rests on, counted and in one sentence, so no status stands without it
 * (an auditor read "Satisfied" beside 0 findings and 0 checks as a contradiction of the rule;
 * its evidence was mapped rules that ran and found nothing, which the status must say).
 */
export interface StatusEvidence {
  openFindings: number;
  /** Open critical + high findings: what makes a control not satisfied by itself. */
  criticalHigh: number;
  /** Open info findings: counted, shown, never change the status. */
  info: number;
  checksPassed: number;
  checksFailed: number;
  /** Mapped finding rules that ran in the range. */
  rulesRan: number;
  /** Of those, the ones with no open finding. */
  rulesClean: number;
  /** Mapped finding rules that never ran: no evidence either way. */
  rulesNotRun: number;
  /** Mapped subjects (rules and checks). */
  mapped: number;
  /** "0 open findings · checks: 0 passed, 0 failed · rules: 2 of 2 ran, none with an open finding" and the why of the status. */
  text: string;
}

const n = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** What a control's status rests on (pure; the counts are the ones decideStatus read). */
export function statusEvidence(status: ControlStatus, s: ControlEvidenceSummary): StatusEvidence {
  const rules = s.subjects.filter((x) => x.kind === 'finding_rule');
  const ran = rules.filter((x) => x.evaluated);
  const clean = ran.filter((x) => x.openFindings === 0).length;
  const e = {
    openFindings: s.openFindings,
    criticalHigh: s.bySeverity.critical + s.bySeverity.high,
    info: s.bySeverity.info,
    checksPassed: s.positivePass,
    checksFailed: s.positiveFail,
    rulesRan: ran.length,
    rulesClean: clean,
    rulesNotRun: rules.length - ran.length,
    mapped: s.subjects.length,
  };
  const findings = `${n(e.openFindings, 'open finding')}${e.criticalHigh ? ` (${e.criticalHigh} critical/high)` : ''}${e.info && e.info === e.openFindings ? ' (info only)' : ''}`;
  const checks = `checks: ${e.checksPassed} passed, ${e.checksFailed} failed`;
  const rulesPart = rules.length ? `rules: ${ran.length} of ${rules.length} ran, ${clean} without an open finding` : 'no finding rule mapped';
  let why: string;
  if (e.mapped === 0) why = 'no evidence is mapped to this control';
  else if (status === 'not_assessed') why = 'no mapped rule ran and no check ran in the range: no evidence either way';
  else if (status === 'not_satisfied') {
    const mediumLow = s.bySeverity.medium + s.bySeverity.low;
    why = e.criticalHigh > 0
      ? `${n(e.criticalHigh, 'open critical or high finding')}`
      : `${[e.checksFailed ? n(e.checksFailed, 'failed check') : '', mediumLow ? n(mediumLow, 'open medium/low finding') : ''].filter(Boolean).join(' and ')} with nothing passing`;
  }
  else if (status === 'partially_satisfied') {
    const bad = [e.checksFailed ? n(e.checksFailed, 'failed check') : '', s.bySeverity.medium + s.bySeverity.low ? n(s.bySeverity.medium + s.bySeverity.low, 'open medium/low finding') : ''].filter(Boolean).join(' and ');
    const good = [e.checksPassed ? n(e.checksPassed, 'passed check') : '', clean ? n(clean, 'rule', 'rules') + ' without an open finding' : ''].filter(Boolean).join(' and ');
    why = `${bad} beside ${good}`;
  } else {
    const good = [e.checksPassed ? n(e.checksPassed, 'passed check') : '', clean ? `${n(clean, 'mapped rule')} that ran and found nothing open` : ''].filter(Boolean).join(' and ');
    why = `${good || `${n(ran.length, 'mapped rule')} ran with info findings only`}${e.info ? '; info findings do not change the status' : ''}`;
  }
  return { ...e, text: `${findings} · ${checks} · ${rulesPart} — ${why}` };
}
