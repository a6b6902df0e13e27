import { describe, expect, it } from 'vitest';
import { decodeBase64url, encodeBase64url, isCanonicalBase64url } from './base64url.ts';
import { BindingError } from './errors.ts';

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (e) {
    return e instanceof BindingError ? e.code : 'not-a-BindingError';
  }
}

describe('strict base64url', () => {
  it.each([
    ['', true],
    ['AA', true],
    ['AQ', true],
    ['AB', false], // low bits set in a 1-byte tail
    ['AAA', true],
    ['AAE', true],
    ['AAB', false],
    ['A', false],
    ['AA==', false], // padding is not base64url here
    ['a+b/', false], // standard alphabet
    ['0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I', true],
  ])('isCanonicalBase64url(%j) is %s', (s, want) => {
    expect(isCanonicalBase64url(s)).toBe(want);
  });

  it('rejects the RFC 8705 example value as non-canonical (it re-encodes ending …dg0)', () => {
    const rfcExample = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2';
    expect(codeOf(() => decodeBase64url(rfcExample))).toBe('base64url_noncanonical');
    expect(Buffer.from(rfcExample, 'base64url').toString('base64url')).toBe('bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0');
  });

  it('rejects padding and foreign characters with base64url_invalid', () => {
    expect(codeOf(() => decodeBase64url('AA=='))).toBe('base64url_invalid');
    expect(codeOf(() => decodeBase64url('A'))).toBe('base64url_invalid');
    expect(codeOf(() => decodeBase64url('a b'))).toBe('base64url_invalid');
  });

  it('round-trips bytes', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 251, 252, 253, 254, 255]);
    expect([...decodeBase64url(encodeBase64url(bytes))]).toEqual([...bytes]);
  });
});
