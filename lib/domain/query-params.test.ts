import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HoldfastError } from '../errors.ts';
import { enumParam, filterObject, firstValues, instantParam, intParam, parseParams, textParam, uuidParam, windowInstantParam, type Params, type QueryIssue } from './query-params.ts';
import { parseQuery } from '../http/route.ts';

const schema = z.object({ limit: intParam(1, 200, 50), state: enumParam(['open', 'closed']), from: instantParam('from') });
const parse = (qs: string) => parseQuery(schema, new URLSearchParams(qs));

function refusal(qs: string): { code: string; message: string; path: string } {
  try {
    parse(qs);
  } catch (e) {
    expect(e).toBeInstanceOf(HoldfastError);
    const h = e as HoldfastError;
    return { code: h.code, message: h.message, path: (h.details as { errors: { path: string }[] }).errors[0]!.path };
  }
  throw new Error(`expected ${qs} to be refused`);
}

describe('route query schemas', () => {
  it('defaults, parses and keeps the first of a repeated parameter', () => {
    expect(parse('')).toEqual({ limit: 50, state: undefined, from: undefined });
    expect(parse('limit=7&state=closed&from=2026-11-01T00:00:00Z&limit=9')).toEqual({ limit: 7, state: 'closed', from: new Date('2026-11-01T00:00:00Z') });
  });

  it.each([
    ['limit=0', 'limit', /whole number from 1 to 200/],
    ['limit=abc', 'limit', /whole number from 1 to 200/],
    ['limit=201', 'limit', /whole number from 1 to 200/],
    ['state=maybe', 'state', /one of open, closed/],
    ['from=yesterday', 'from', /ISO 8601/],
    ['from=99999-01-01', 'from', /ISO 8601/],
    ['from=0000-01-01T00:00:00Z', 'from', /ISO 8601/],
  ])('%s is a 400 bad_request naming the parameter', (qs, path, message) => {
    const r = refusal(qs);
    expect(r.code).toBe('bad_request');
    expect(r.path).toBe(path);
    expect(r.message).toMatch(message);
    expect(r.message.startsWith(`query parameter ${path}:`)).toBe(true);
  });
});

describe('query-string building blocks', () => {
  const filters = filterObject({
    limit: intParam(1, 500, 50),
    ttl: intParam(0, 2 ** 31 - 1),
    kind: enumParam(['service', 'agent']),
    name: textParam(10),
    token: uuidParam(),
    from: windowInstantParam(),
  });
  const say = (i: QueryIssue) => `${i.path} ${i.message}`;
  const refused = (p: Params): string => {
    try {
      parseParams(filters, p, say);
    } catch (e) {
      expect(e).toBeInstanceOf(HoldfastError);
      expect((e as HoldfastError).code).toBe('bad_request');
      return (e as HoldfastError).message;
    }
    throw new Error(`expected ${JSON.stringify(p)} to be refused`);
  };

  it('reads the first value of a URL or a page\'s searchParams, trimmed; an empty one is absent (a form\'s unset field)', () => {
    expect(firstValues(new URLSearchParams('a=1&a=2&b='))).toEqual({ a: '1', b: '' });
    expect(firstValues({ a: ['1', '2'], b: undefined, c: 'x' })).toEqual({ a: '1', c: 'x' });
    expect(parseParams(filters, { kind: ' agent ', name: '', ttl: '  ', limit: ['7', '9'] }, say)).toEqual({ limit: 7, kind: 'agent' });
  });

  it('answers the fallback for an absent whole number, undefined for an absent optional one, lower-case UUIDs', () => {
    expect(parseParams(filters, {}, say)).toEqual({ limit: 50 });
    expect(parseParams(filters, { ttl: '2147483647', token: '0F1E2D3C-4B5A-4978-8695-A4B3C2D1E0F9' }, say)).toMatchObject({ ttl: 2147483647, token: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9' });
  });

  it('reads now-<n>m|h|d|w relative to the time of parsing, and ISO 8601', () => {
    const before = Date.now();
    const from = parseParams(filters, { from: 'now-24h' }, say).from!;
    expect(from.getTime()).toBeGreaterThanOrEqual(before - 86_400_000);
    expect(from.getTime()).toBeLessThanOrEqual(Date.now() - 86_400_000);
    expect(parseParams(filters, { from: '2026-11-22T08:00:00+01:00' }, say).from?.toISOString()).toBe('2026-11-22T07:00:00.000Z');
  });

  it.each<[string, Params, string]>([
    ['a limit of 0', { limit: '0' }, 'limit must be a whole number from 1 to 500'],
    ['a limit over its maximum', { limit: '501' }, 'limit must be a whole number from 1 to 500'],
    ['a fraction', { limit: '1.5' }, 'limit must be a whole number from 1 to 500'],
    ['an exponent (digits only)', { limit: '1e2' }, 'limit must be a whole number from 1 to 500'],
    ['a negative number', { ttl: '-1' }, 'ttl must be a whole number from 0 to 2147483647'],
    ['a number past its maximum', { ttl: '2147483648' }, 'ttl must be a whole number from 0 to 2147483647'],
    ['a word outside the set', { kind: 'robot' }, 'kind must be one of service, agent'],
    ['text over its length', { name: 'x'.repeat(11) }, 'name is longer than 10 characters'],
    ['a token that is not a UUID', { token: 'not-a-uuid' }, 'token must be a UUID'],
    ['a window edge that is not a time', { from: 'yesterday' }, 'from must be an ISO 8601 date-time between the years 1 and 9999, or now-<n>m|h|d|w'],
    ['a year PostgreSQL cannot read back', { from: '99999-01-01' }, 'from must be an ISO 8601 date-time between the years 1 and 9999, or now-<n>m|h|d|w'],
    ['a NUL (pages pass decoded values without apiRoute\'s check)', { name: 'a\0b' }, 'name contains a NUL character (U+0000)'],
    ['a lone surrogate', { kind: 'a\ud800' }, 'kind contains a lone UTF-16 surrogate (not valid Unicode)'],
  ])('refuses %s naming the parameter', (_name, p, message) => {
    expect(refused(p)).toBe(message);
  });
});
