import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Severity } from '../domain/types.ts';
import { riskScore, type ScoredFinding } from './risk-score.ts';

const f = (severity: Severity, n = 0, status: ScoredFinding['status'] = 'open'): ScoredFinding => ({
  dedupeKey: `${severity}-${n}`,
  rule: 'unbound_high_risk',
  severity,
  status,
});

describe('riskScore', () => {
  const cases: { name: string; findings: ScoredFinding[]; score: number; band: string }[] = [
    { name: 'scores 0 (none) with no findings', findings: [], score: 0, band: 'none' },
    { name: 'scores one critical at 60 (high band)', findings: [f('critical')], score: 60, band: 'high' },
    { name: 'scores critical + high at 72', findings: [f('critical'), f('high')], score: 72, band: 'high' },
    { name: 'scores three criticals at 94 (critical band)', findings: [f('critical', 1), f('critical', 2), f('critical', 3)], score: 94, band: 'critical' },
    { name: 'scores one medium at 10 (low band)', findings: [f('medium')], score: 10, band: 'low' },
    { name: 'ignores an acknowledged critical (risk accepted)', findings: [f('critical', 0, 'acknowledged')], score: 0, band: 'none' },
    { name: 'ignores a resolved high', findings: [f('high', 0, 'resolved')], score: 0, band: 'none' },
    { name: 'scores info findings at 0', findings: [f('info')], score: 0, band: 'none' },
  ];
  it.each(cases)('$name', ({ findings, score, band }) => {
    const r = riskScore(findings);
    expect(r.score).toBe(score);
    expect(r.band).toBe(band);
  });

  it('ranks ten mediums (65) below a critical plus a high (72)', () => {
    const ten = Array.from({ length: 10 }, (_, i) => f('medium', i));
    expect(riskScore(ten).score).toBe(65);
    expect(riskScore(ten).score).toBeLessThan(riskScore([f('critical'), f('high')]).score);
  });

  it('breaks the score down per finding (heaviest first) and per severity; contributions sum to the score', () => {
    const r = riskScore([f('high'), f('critical'), f('critical', 0, 'acknowledged')]);
    expect(r.breakdown.map((b) => [b.severity, b.contribution])).toEqual([
      ['critical', 60],
      ['high', 12],
    ]);
    expect(r.bySeverity.critical).toMatchObject({ count: 1, points: 60 });
    expect(r.accepted).toBe(1);
    expect(r.breakdown[0]?.ruleLabel).toBe('Unbound high-risk token');
  });

  it('stays within 0–100, never falls when a finding is added, and does not depend on input order', () => {
    const sev = fc.constantFrom<Severity>('critical', 'high', 'medium', 'low', 'info');
    fc.assert(
      fc.property(fc.array(sev, { maxLength: 30 }), sev, (list, extra) => {
        const findings = list.map((s, i) => f(s, i));
        const r = riskScore(findings);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(riskScore([...findings, f(extra, 999)]).score).toBeGreaterThanOrEqual(r.score);
        expect(riskScore([...findings].reverse()).score).toBe(r.score);
      }),
    );
  });
});
