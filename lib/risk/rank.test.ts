import { describe, expect, it } from 'vitest';
import { at, HOUR } from './testing/facts.ts';
import { compareFindings, type RankableFinding } from './rank.ts';

const f = (dedupeKey: string, severity: RankableFinding['severity'], blastRadius: number, ageH: number): RankableFinding => ({
  dedupeKey,
  severity,
  blastRadius,
  observedAt: at(-ageH * HOUR),
});

describe('compareFindings', () => {
  it('orders by severity, then blast radius, then recency, then dedupeKey', () => {
    const list = [
      f('e', 'medium', 1000, 0),
      f('d', 'high', 5, 1),
      f('c', 'high', 5, 3),
      f('b', 'high', 50, 9),
      f('a', 'critical', 1, 99),
      f('z', 'high', 5, 1),
    ];
    expect([...list].sort(compareFindings).map((x) => x.dedupeKey)).toEqual(['a', 'b', 'd', 'z', 'c', 'e']);
  });

  it('puts a critical with radius 1 before a high with radius 1000', () => {
    expect(compareFindings(f('x', 'critical', 1, 0), f('y', 'high', 1000, 0))).toBeLessThan(0);
  });
});
