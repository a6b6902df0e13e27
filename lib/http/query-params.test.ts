import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { HoldfastError } from '../errors.ts';
import { enumParam, instantParam, intParam } from './query-params.ts';
import { parseQuery } from './route.ts';

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
