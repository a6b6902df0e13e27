import { describe, expect, it } from 'vitest';
import { at, brief, HOUR, runRule, snapshot, token, usage } from '../testing/facts.ts';
import type { EstateSnapshot } from '../snapshot.ts';
import { fanOut } from './fan-out.ts';

const services = (n: number) => Array.from({ length: n }, (_, i) => `svc-${i}.internal`);
const key = 'fan_out:token:tok-1';

const cases: { name: string; snap: EstateSnapshot; expected: { dedupeKey: string; severity: string }[] }[] = [
  {
    name: 'flags a token presented to 6 services (policy at most 5, medium)',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ audiencesSeen: services(6) })] }),
    expected: [{ dedupeKey: key, severity: 'medium' }],
  },
  {
    name: 'flags a privileged token presented to 6 services as high',
    snap: snapshot({ tokens: [token({ scopes: ['deploy'] })], tokenUsage: [usage({ audiencesSeen: services(6) })] }),
    expected: [{ dedupeKey: key, severity: 'high' }],
  },
  {
    name: 'does not flag a token presented to exactly 5 services',
    snap: snapshot({ tokens: [token()], tokenUsage: [usage({ audiencesSeen: services(5) })] }),
    expected: [],
  },
  {
    name: 'does not flag an expired token that was presented to 20 services',
    snap: snapshot({ tokens: [token({ expiresAt: at(-HOUR) })], tokenUsage: [usage({ audiencesSeen: services(20) })] }),
    expected: [],
  },
];

describe('fan_out', () => {
  it.each(cases)('$name', ({ snap, expected }) => {
    expect(runRule(fanOut, snap).map(brief)).toEqual(expected);
  });
});
