import { describe, expect, it } from 'vitest';
import { normalizeSerial } from './serial.ts';

describe('normalizeSerial: one spelling for a serial logged or listed anywhere', () => {
  it.each([
    ['1001', '1001', 'NGINX / openssl'],
    ['00A1B2', 'A1B2', 'OpenSSL keeps the sign byte of a high-bit serial'],
    ['0a:1b:2c', 'A1B2C', 'colon-separated bytes (HAProxy, exporters)'],
    ['0x1001', '1001', '0x prefix'],
    ['  de ad  ', 'DEAD', 'spaces'],
    ['0', '0', 'zero stays zero'],
    ['0000', '0', 'all zeros'],
    ['7f3c9d0e1a2b3c4d5e6f708192a3b4c5d6e7f809', '7F3C9D0E1A2B3C4D5E6F708192A3B4C5D6E7F809', 'a 20-byte random serial'],
  ])('%s → %s (%s)', (input, want) => {
    expect(normalizeSerial(input)).toBe(want);
  });

  it.each([[''], ['xyz'], ['12-34'], ['-1']])('refuses %j (not hex)', (input) => {
    expect(normalizeSerial(input)).toBeNull();
  });
});
