import { describe, expect, it } from 'vitest';
import type { FindingRule } from '../domain/types.ts';
import { assessControls, decideStatus, emptySeverityCounts, statusEvidence, statusTotals } from './control-status.ts';
import { requireBuiltinFramework } from './registry.ts';
import type { ControlEvidenceSummary, EvidenceCounts } from './types.ts';

const NO_EVIDENCE: EvidenceCounts = { openFindings: {}, positive: {}, rulesEvaluated: [] };

function onlyFinding(rule: FindingRule): EvidenceCounts {
  return { openFindings: { [rule]: { high: 1 } }, positive: {}, rulesEvaluated: [rule] };
}

function notSatisfiedIds(frameworkId: string, ev: EvidenceCounts): string[] {
  return assessControls(requireBuiltinFramework(frameworkId), ev)
    .filter((a) => a.status === 'not_satisfied')
    .map((a) => a.control.id);
}

describe('a finding rule lands on the right controls', () => {
  // One open high finding of the rule, nothing else: exactly these controls turn not_satisfied.
  it.each<[FindingRule, string[], string[]]>([
    ['unbound_high_risk', ['NHI4:2025'], ['PR.AA-02', 'PR.AA-03']],
    ['bound_not_enforced', ['NHI4:2025'], ['PR.AA-03', 'PR.AA-04', 'PR.PS-01']],
    ['binding_context_stripped', ['NHI4:2025', 'NHI6:2025'], ['PR.AA-04', 'PR.DS-02', 'PR.PS-01']],
    ['replay_suspected', ['NHI2:2025', 'NHI4:2025'], ['DE.CM-09', 'RS.MA-02', 'RS.AN-03']],
    ['replay_after_revocation', ['NHI1:2025', 'NHI4:2025'], ['DE.CM-09', 'RS.MI-01']],
    ['ttl_over_policy', ['NHI7:2025'], ['PR.AA-01', 'PR.AA-05']],
    ['exposed_active', ['NHI2:2025'], ['PR.AA-01', 'RS.MA-03', 'RS.MI-02']],
    ['offboarding', ['NHI1:2025'], ['PR.AA-01', 'PR.AA-05']],
    ['credential_shared', ['NHI9:2025'], ['PR.AA-01', 'PR.AA-02']],
    ['fan_out', ['NHI5:2025'], ['PR.AA-05', 'DE.CM-01', 'RS.AN-08']],
    ['cert_expiring', ['NHI7:2025'], ['PR.AA-01']],
    ['failure_spike', ['NHI4:2025'], ['DE.CM-01', 'DE.CM-09', 'RS.MA-02']],
  ])('%s → OWASP NHI %j, CSF 2.0 %j', (rule, nhi, csf) => {
    expect(notSatisfiedIds('owasp-nhi-2025', onlyFinding(rule))).toEqual(nhi);
    expect(notSatisfiedIds('nist-csf-2.0', onlyFinding(rule))).toEqual(csf);
  });
});

describe('a revocation receipt lands on the controls it is evidence for', () => {
  // A gateway still accepting a revoked credential fails the containment controls; receipts that
  // all show the credential refused since satisfy them (and never pass a control on their own
  // where a finding is open).
  it.each<[string, string[]]>([
    ['owasp-nhi-2025', ['NHI1:2025', 'NHI2:2025']],
    ['nist-csf-2.0', ['PR.AA-05', 'RS.MI-01']],
    ['nist-sp-800-207', ['tenet-6']],
    ['owasp-agentic-2026', ['ASI03', 'ASI10']],
    ['csa-maestro', ['L6']],
  ])('%s: a still-accepting gateway fails %j', (frameworkId, ids) => {
    const failing: EvidenceCounts = { openFindings: {}, positive: { revocation_effective: { pass: 0, fail: 1 } }, rulesEvaluated: [] };
    expect(notSatisfiedIds(frameworkId, failing)).toEqual(ids);
    const held = assessControls(requireBuiltinFramework(frameworkId), { openFindings: {}, positive: { revocation_effective: { pass: 2, fail: 0 } }, rulesEvaluated: [] });
    expect(held.filter((a) => ids.includes(a.control.id)).map((a) => a.status)).toEqual(ids.map(() => 'satisfied'));
  });
});

describe('control status from evidence', () => {
  it('marks every control not_assessed when there is no evidence at all, never satisfied', () => {
    for (const id of ['owasp-nhi-2025', 'nist-csf-2.0', 'csa-maestro']) {
      const statuses = new Set(assessControls(requireBuiltinFramework(id), NO_EVIDENCE).map((a) => a.status));
      expect([...statuses]).toEqual(['not_assessed']);
    }
  });

  it('keeps a control not_assessed when its rules had zero findings but never ran', () => {
    const a = assessControls(requireBuiltinFramework('owasp-nhi-2025'), { openFindings: { offboarding: {} }, positive: {}, rulesEvaluated: [] });
    expect(a.find((x) => x.control.id === 'NHI1:2025')?.status).toBe('not_assessed');
  });

  it('marks a control satisfied when its rule ran clean', () => {
    const a = assessControls(requireBuiltinFramework('owasp-nhi-2025'), { openFindings: {}, positive: {}, rulesEvaluated: ['fan_out'] });
    expect(a.find((x) => x.control.id === 'NHI5:2025')?.status).toBe('satisfied');
  });

  it('keeps PR.AA-06 (physical access) not_assessed whatever the evidence', () => {
    const ev: EvidenceCounts = {
      openFindings: {},
      positive: { sender_constrained_enforced: { pass: 5, fail: 0 } },
      rulesEvaluated: ['unbound_high_risk', 'offboarding', 'fan_out'],
    };
    expect(assessControls(requireBuiltinFramework('nist-csf-2.0'), ev).find((a) => a.control.id === 'PR.AA-06')?.status).toBe('not_assessed');
  });

  it('counts positive checks and findings for PR.AA-02', () => {
    const ev: EvidenceCounts = {
      openFindings: { credential_shared: { medium: 2, info: 1 } },
      positive: { sender_constrained_enforced: { pass: 90, fail: 3 }, certificate_unique_per_workload: { pass: 10, fail: 0 } },
      rulesEvaluated: ['unbound_high_risk', 'credential_shared'],
    };
    const a = assessControls(requireBuiltinFramework('nist-csf-2.0'), ev).find((x) => x.control.id === 'PR.AA-02');
    expect(a?.status).toBe('partially_satisfied');
    expect(a?.counts).toMatchObject({ openFindings: 3, positivePass: 100, positiveFail: 3, bySeverity: { medium: 2, info: 1, high: 0 } });
    expect(a?.counts.subjects.map((s) => s.subject).sort()).toEqual(
      ['certificate_unique_per_workload', 'credential_shared', 'leaking_hop', 'sender_constrained_enforced', 'unbound_high_risk'],
    );
  });

  const base = (): ControlEvidenceSummary => ({ openFindings: 0, bySeverity: emptySeverityCounts(), positivePass: 0, positiveFail: 0, subjects: [] });
  const sub = (kind: 'finding_rule' | 'positive_control', evaluated: boolean, openFindings = 0) => ({
    subject: 'x',
    kind,
    rationale: 'r',
    openFindings,
    pass: 0,
    fail: 0,
    evaluated,
  });

  it.each<[string, Partial<ControlEvidenceSummary>, string]>([
    ['no subjects', {}, 'not_assessed'],
    ['mapped but unevaluated', { subjects: [sub('finding_rule', false)] }, 'not_assessed'],
    ['one critical beats many passes', { bySeverity: { ...emptySeverityCounts(), critical: 1 }, positivePass: 1000, subjects: [sub('positive_control', true)] }, 'not_satisfied'],
    ['failed checks only', { positiveFail: 2, subjects: [sub('positive_control', true)] }, 'not_satisfied'],
    ['failed and passed checks', { positiveFail: 2, positivePass: 8, subjects: [sub('positive_control', true)] }, 'partially_satisfied'],
    ['low finding, another rule clean', { bySeverity: { ...emptySeverityCounts(), low: 1 }, subjects: [sub('finding_rule', true, 1), sub('finding_rule', true, 0)] }, 'partially_satisfied'],
    ['info findings only', { bySeverity: { ...emptySeverityCounts(), info: 4 }, subjects: [sub('finding_rule', true, 4)] }, 'satisfied'],
    ['passes only', { positivePass: 3, subjects: [sub('positive_control', true)] }, 'satisfied'],
  ])('decideStatus: %s → %s', (_name, patch, expected) => {
    expect(decideStatus({ ...base(), ...patch })).toBe(expected);
  });

  it('totals statuses', () => {
    const a = assessControls(requireBuiltinFramework('owasp-nhi-2025'), onlyFinding('fan_out'));
    expect(statusTotals(a)).toEqual({ satisfied: 0, partially_satisfied: 0, not_satisfied: 1, not_assessed: 9 });
  });
});

describe('statusEvidence: every status names the evidence it rests on', () => {
  const csf = (ev: EvidenceCounts, id: string) => assessControls(requireBuiltinFramework('nist-csf-2.0'), ev).find((a) => a.control.id === id)!;
  const nhi = (ev: EvidenceCounts, id: string) => assessControls(requireBuiltinFramework('owasp-nhi-2025'), ev).find((a) => a.control.id === id)!;

  it('Satisfied with 0 findings and 0 checks says it rests on the mapped rule that ran and found nothing', () => {
    const a = nhi({ openFindings: {}, positive: {}, rulesEvaluated: ['fan_out'] }, 'NHI5:2025');
    const e = statusEvidence(a.status, a.counts);
    expect(a.status).toBe('satisfied');
    expect(e).toMatchObject({ openFindings: 0, checksPassed: 0, checksFailed: 0, rulesRan: 1, rulesClean: 1 });
    expect(e.text).toBe('0 open findings · checks: 0 passed, 0 failed · rules: 1 of 1 ran, 1 without an open finding — 1 mapped rule that ran and found nothing open');
  });

  it('Partially satisfied with 0 open findings names the failed and passed checks', () => {
    const ev: EvidenceCounts = { openFindings: {}, positive: { revocation_confirmed: { pass: 4, fail: 1 } }, rulesEvaluated: [] };
    const a = csf(ev, 'RS.MI-01');
    const e = statusEvidence(a.status, a.counts);
    expect([a.status, e.openFindings, e.checksPassed, e.checksFailed]).toEqual(['partially_satisfied', 0, 4, 1]);
    expect(e.text).toMatch(/^0 open findings · checks: 4 passed, 1 failed · .* — 1 failed check beside 4 passed checks$/);
  });

  it.each<[string, EvidenceCounts, string, RegExp]>([
    ['not assessed: rules mapped, none ran', { openFindings: {}, positive: {}, rulesEvaluated: [] }, 'NHI5:2025', /rules: 0 of 1 ran, 0 without an open finding — no mapped rule ran and no check ran in the range: no evidence either way$/],
    ['not satisfied by a high finding', { openFindings: { fan_out: { high: 2 } }, positive: {}, rulesEvaluated: ['fan_out'] }, 'NHI5:2025', /^2 open findings \(2 critical\/high\) · .* — 2 open critical or high findings$/],
    ['satisfied with info findings only', { openFindings: { fan_out: { info: 3 } }, positive: {}, rulesEvaluated: ['fan_out'] }, 'NHI5:2025', /^3 open findings \(info only\) · .* — 1 mapped rule ran with info findings only; info findings do not change the status$/],
  ])('%s', (_name, ev, id, text) => {
    const a = nhi(ev, id);
    expect(statusEvidence(a.status, a.counts).text).toMatch(text);
  });

  it('a control nothing maps to says so', () => {
    const a = csf({ openFindings: {}, positive: {}, rulesEvaluated: ['fan_out'] }, 'PR.AA-06');
    expect(statusEvidence(a.status, a.counts).text).toMatch(/no evidence is mapped to this control$/);
  });
});
