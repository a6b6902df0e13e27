import { describe, expect, it } from 'vitest';
import { findUnsafeText, storableText, unsafeTextReason } from './unsafe-text.ts';

describe('unsafeTextReason', () => {
  it.each([
    ['a NUL', 'a\0', 'nul'],
    ['a lone high surrogate', 'a\ud800', 'lone_surrogate'],
    ['a lone low surrogate', '\udc00b', 'lone_surrogate'],
    ['a reversed pair', '\ude00\ud83d', 'lone_surrogate'],
    ['a surrogate pair', '😀', null],
    ['plain text', 'svc-orders', null],
    ['the empty string', '', null],
  ])('%s → %s', (_name, s, reason) => {
    expect(unsafeTextReason(s)).toBe(reason);
  });
});

describe('storableText', () => {
  it('replaces NUL and lone surrogates with U+FFFD and keeps pairs', () => {
    expect(storableText('a\0b\ud800c😀')).toBe('a\uFFFDb\uFFFDc😀');
    expect(unsafeTextReason(storableText('\udc00\0'))).toBeNull();
  });
});

describe('findUnsafeText', () => {
  it.each([
    ['a clean body', { email: 'a@b', n: 1, list: ['x', { y: 'z' }] }, null],
    ['a NUL in a nested value', { a: { b: ['ok', 'x\0'] } }, { path: 'a.b.1', reason: 'nul' }],
    ['a lone surrogate in a member name', { ['k\ud800']: 1 }, { path: 'k\uFFFD', reason: 'lone_surrogate' }],
    ['a NUL at the root', '\0', { path: '', reason: 'nul' }],
  ])('%s', (_name, value, expected) => {
    expect(findUnsafeText(value)).toEqual(expected);
  });

  it('walks 100,000 levels of nesting without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + '"\\u0000"' + ']'.repeat(100_000)) as unknown;
    expect(findUnsafeText(deep)?.reason).toBe('nul');
  });
});
