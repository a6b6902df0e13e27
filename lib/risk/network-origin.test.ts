import { describe, expect, it } from 'vitest';
import { networkOrigin } from './network-origin.ts';

describe('networkOrigin', () => {
  const cases: [string, string][] = [
    ['10.0.0.5', '10.0.0.0/24'],
    ['10.0.0.77', '10.0.0.0/24'],
    ['::ffff:10.0.0.5', '10.0.0.0/24'],
    ['2001:db8:1:2::5', '2001:db8:1:0:0:0:0:0/48'],
    ['2001:db8:1:ffff::9', '2001:db8:1:0:0:0:0:0/48'],
    ['not-an-ip', 'not-an-ip'],
    ['300.1.1.1', '300.1.1.1'],
  ];
  it.each(cases)('%s → %s', (ip, want) => {
    expect(networkOrigin(ip, 24, 48)).toBe(want);
  });
});
