// The stored client network: the /24 fast path gives exactly what networkOrigin gives.
import { describe, expect, it } from 'vitest';
import { networkOrigin } from '../../risk/network-origin.ts';
import { canonicalV4LastDot, NetworkValues, networkValue } from './writer.ts';

const bits = { v4: 24, v6: 48 };
/** The reference: networkOrigin, without `/bits`. */
function reference(ip: string): string {
  const n = networkOrigin(ip.trim(), 24, 48);
  const slash = n.lastIndexOf('/');
  return (slash > 0 && n !== ip ? n.slice(0, slash) : n).slice(0, 100);
}

const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function addressCases(): string[] {
  const cases = ['10.5.109.21', '10.5.109.0', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2.3.256', '010.1.2.3', '1.02.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.5',
    '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.a', '::ffff:10.1.2.3', '2001:db8::1', 'fe80::1%eth0', 'unknown', '-', '1234.1.1.1', '1.2.3.4/8'];
  for (let i = 0; i < 2000; i++) {
    const part = () => String([Math.floor(Math.random() * 300), Math.floor(Math.random() * 10)][i % 2]!).padStart(1 + (i % 3 === 0 ? 1 : 0), '0');
    cases.push([part(), part(), part(), part()].join('.'));
  }
  return cases;
}

describe('networkValue', () => {
  it('agrees with networkOrigin on addresses of every shape', () => {
    for (const ip of addressCases()) expect(networkValue(ip, bits), ip).toBe(reference(ip));
  });

  it('tells a canonical dotted quad as the regular expression does', () => {
    for (const ip of [...addressCases(), '', '.', '1.2.3.4\n', '00.1.2.3', '0.0.0.00', '199.249.255.250', '1.2.3.4.', '300.1.1.1', '1.2.3.1000']) {
      expect(canonicalV4LastDot(ip), ip).toBe(CANONICAL_V4.test(ip) ? ip.lastIndexOf('.') : -1);
    }
  });

  it('NetworkValues answers as networkValue, the same string for one network', () => {
    for (const b of [bits, { v4: 16, v6: 64 }]) {
      const nets = new NetworkValues(b);
      for (const ip of [...addressCases(), ...addressCases()]) expect(nets.of(ip), ip).toBe(networkValue(ip, b));
    }
    const nets = new NetworkValues(bits);
    expect(nets.of('10.1.2.3')).toBe('10.1.2.0');
    expect(nets.of(['10.1.2', '77'].join('.'))).toBe(nets.of('10.1.2.3'));
    expect(nets.of(null)).toBeNull();
  });

  it('uses the configured prefix when it is not /24', () => {
    expect(networkValue('10.5.109.21', { v4: 16, v6: 48 })).toBe('10.5.0.0');
    expect(networkValue(null, bits)).toBeNull();
  });
});
