import { describe, expect, it } from 'vitest';
import { brief, identity, runRule, snapshot } from '../testing/facts.ts';
import { DEFAULT_POLICY } from '../policy.ts';
import type { FailureSeries } from '../snapshot.ts';
import { failureSpike, spikeStats } from './failure-spike.ts';

const idSeries = (buckets: number[]): FailureSeries => ({ subject: { kind: 'identity', identityId: 'id-svc' }, buckets });
const gwSeries = (buckets: number[]): FailureSeries => ({ subject: { kind: 'gateway', gateway: 'edge-1' }, buckets });

const cases: { name: string; series: FailureSeries[]; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags orders-svc with 40 failures in 24 h against 2–4 a day before',
    series: [idSeries([40, 2, 3, 4, 2, 3, 4, 2])],
    expected: [{ dedupeKey: 'failure_spike:identity:id-svc', severity: 'medium' }],
  },
  {
    name: 'flags gateway edge-1 with 12 failures after a silent week',
    series: [gwSeries([12])],
    expected: [{ dedupeKey: 'failure_spike:gateway:edge-1', severity: 'medium' }],
  },
  {
    name: 'does not flag 9 failures after a silent week (below minCount 10)',
    series: [gwSeries([9])],
    expected: [],
  },
  {
    name: 'does not flag a gateway that always fails about 100 times a day (its own baseline)',
    series: [gwSeries([120, 100, 90, 110, 95, 105, 100, 98])],
    expected: [],
  },
  {
    name: 'does not flag a noisy baseline where 60 is within mean + 3σ',
    series: [idSeries([60, 5, 80, 10, 70, 5, 60, 10])],
    expected: [],
  },
];

describe('failure_spike', () => {
  it.each(cases)('$name', ({ series, expected }) => {
    expect(runRule(failureSpike, snapshot({ identities: [identity()], failureSeries: series })).map(brief)).toEqual(expected);
  });

  it('computes mean and population σ over the 7 previous buckets, treating missing ones as 0', () => {
    const s = spikeStats([30, 7], DEFAULT_POLICY.failureSpike);
    expect(s.mean).toBeCloseTo(1);
    expect(s.stddev).toBeCloseTo(Math.sqrt((36 + 6 * 1) / 7));
    expect(s.spike).toBe(true);
  });

  it('needs current ≥ factor × mean even when σ is 0 (flat baseline of 10, current 25)', () => {
    expect(spikeStats([25, 10, 10, 10, 10, 10, 10, 10], DEFAULT_POLICY.failureSpike).spike).toBe(false);
    expect(spikeStats([30, 10, 10, 10, 10, 10, 10, 10], DEFAULT_POLICY.failureSpike).spike).toBe(true);
  });
});
