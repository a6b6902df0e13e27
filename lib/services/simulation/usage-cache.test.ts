import { expect, it } from 'vitest';
import { parseSnapshot, visibleIn } from './usage-cache.ts';

it('a snapshot sees transactions that ended before it, not those in progress or started after (pg_visible_in_snapshot)', () => {
  const s = parseSnapshot('100:105:101,103');
  expect([99n, 100n, 101n, 102n, 103n, 104n, 105n, 200n].map((x) => visibleIn(x, s))).toEqual([true, true, false, true, false, true, false, false]);
  expect(parseSnapshot('7:7:').xip.size).toBe(0);
  expect(() => parseSnapshot('garbage')).toThrow(/not a snapshot/);
});
