import { describe, expect, it } from 'vitest';
import { countEvidence } from './evidence-counts.ts';

describe('countEvidence', () => {
  it('counts open findings by rule and severity, ignoring acknowledged and resolved ones, and checks by control', async () => {
    const ev = await countEvidence({
      findings: [
        { rule: 'fan_out', severity: 'high', status: 'open' },
        { rule: 'fan_out', severity: 'high', status: 'open' },
        { rule: 'fan_out', severity: 'low', status: 'resolved' },
        { rule: 'offboarding', severity: 'medium', status: 'acknowledged' },
      ],
      checks: [
        { control: 'ttl_within_policy', passed: true },
        { control: 'ttl_within_policy', passed: false },
      ],
      rulesEvaluated: ['fan_out', 'offboarding'],
    });
    expect(ev).toEqual({
      openFindings: { fan_out: { high: 2 } },
      positive: { ttl_within_policy: { pass: 1, fail: 1 } },
      rulesEvaluated: ['fan_out', 'offboarding'],
    });
  });
});
