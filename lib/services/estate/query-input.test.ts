// Query parsing shared by the list APIs and the pages (issue #14, item 3): values PostgreSQL
// cannot take (NUL, lone surrogates, years it cannot read back, numbers past bigint, strings a
// list casts to uuid or timestamptz) are a 400 here, never a database error.
import { describe, expect, it } from 'vitest';
import { isHoldfastError } from '../../errors.ts';
import { parseInstant } from '../../domain/instant.ts';
import { dateParam, decodeCursor, encodeCursor, getParam, type CursorKind } from './query.ts';

const q = (s: string) => new URLSearchParams(s);
const code = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    return isHoldfastError(e) ? e.code : `not a HoldfastError: ${String(e)}`;
  }
};
const cursor = (v: unknown) => `after=${Buffer.from(JSON.stringify(v)).toString('base64url')}`;

describe('getParam', () => {
  it.each([
    ['a NUL', 'q=a%00b'],
    ['a lone surrogate (a page passes decoded values)', { q: 'a\ud800' }],
  ])('refuses %s with bad_request', (_name, p) => {
    expect(code(() => getParam(typeof p === 'string' ? q(p) : p, 'q'))).toBe('bad_request');
  });

  it('keeps ordinary values trimmed', () => {
    expect(getParam(q('q=%20svc-a%20'), 'q')).toBe('svc-a');
  });
});

describe('dateParam and parseInstant', () => {
  it.each([['99999-01-01'], ['+099999-01-01T00:00:00Z'], ['0000-01-01T00:00:00Z'], ['-000001-01-01T00:00:00Z'], ['9999-12-31T23:00:00-05:00'], ['not a date']])('dateParam refuses %s', (v) => {
    expect(code(() => dateParam(q(`from=${encodeURIComponent(v)}`), 'from'))).toBe('bad_request');
  });

  it.each([['99999-01-01'], ['0000-01-01'], ['9999-12-31T23:00:00-05:00']])('parseInstant refuses %s', (v) => {
    expect(code(() => parseInstant('from', v))).toBe('bad_request');
  });

  it.each([['0001-01-01T00:00:00Z'], ['9999-12-31T23:59:59Z'], ['2026-11-22T08:00:00+01:00']])('both accept %s', (v) => {
    expect(dateParam(q(`from=${encodeURIComponent(v)}`), 'from')?.toISOString()).toBe(new Date(v).toISOString());
    expect(parseInstant('from', v)?.toISOString()).toBe(new Date(v).toISOString());
  });
});

describe('decodeCursor', () => {
  it.each<[string, unknown, CursorKind[]]>([
    ['a NUL in a string', ['\0', 'x'], ['string', 'string']],
    ['a number past bigint', [1e308, 'x'], ['number', 'string']],
    ['a fraction', [1.5, 'x'], ['number', 'string']],
    ['a non-uuid where a uuid goes', ['not-a-uuid'], ['uuid']],
    ['a non-time where a time goes', ['yesterday', 'x'], ['instant', 'string']],
    ['a year PostgreSQL cannot read back', ['+099999-01-01T00:00:00.000Z', 'x'], ['instant', 'string']],
    ['the wrong length', ['a'], ['string', 'string']],
  ])('refuses %s', (_name, value, kinds) => {
    expect(code(() => decodeCursor(q(cursor(value)), kinds))).toBe('bad_request');
  });

  it('round-trips what encodeCursor wrote', () => {
    const v = [99_999_999, '2026-11-22T08:00:00.000Z', '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9'];
    expect(decodeCursor(q(`after=${encodeCursor(v)}`), ['number', 'instant', 'uuid'])).toEqual(v);
  });
});
