import { describe, expect, it } from 'vitest';
import { legacyDaysFrom, resolveTimeWindow, windowStartWords } from './time-window.ts';

const NOW = new Date('2026-11-22T08:00:42.123Z');
const MINUTE = new Date('2026-11-22T08:00:00.000Z');
const resolve = (p: Record<string, string>) => resolveTimeWindow(p, { now: NOW, defaultFrom: 'now-7d' });

describe('resolveTimeWindow', () => {
  it.each([
    ['no from/to: the default, 7 days to now (on the minute)', {}, '2026-11-15T08:00:00.000Z', MINUTE.toISOString(), 'day', true],
    ['now-30d', { from: 'now-30d' }, '2026-10-23T08:00:00.000Z', MINUTE.toISOString(), 'day', true],
    ['now-15m', { from: 'now-15m' }, '2026-11-22T07:45:00.000Z', MINUTE.toISOString(), 'hour', true],
    ['now-48h is still hourly', { from: 'now-48h' }, '2026-11-20T08:00:00.000Z', MINUTE.toISOString(), 'hour', true],
    ['absolute from, to now (not rounded)', { from: '2026-11-01T00:00:00Z' }, '2026-11-01T00:00:00.000Z', NOW.toISOString(), 'day', false],
    ['absolute from and to', { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, '2026-11-01T00:00:00.000Z', '2026-11-02T00:00:00.000Z', 'hour', false],
    ['a to in the future ends now', { from: '2026-11-20T00:00:00Z', to: '2027-01-01T00:00:00Z' }, '2026-11-20T00:00:00.000Z', NOW.toISOString(), 'day', false],
  ] as const)('%s', (_, params, from, to, bucket, relative) => {
    const w = resolve(params);
    expect({ from: w.from.toISOString(), to: w.to.toISOString(), bucket: w.bucket, relative: w.relative }).toEqual({ from, to, bucket, relative });
  });

  it.each([
    ['from after to', { from: '2026-11-10T00:00:00Z', to: '2026-11-01T00:00:00Z' }, /from must not be after to/],
    ['from in the future', { from: '2027-01-01T00:00:00Z' }, /from must not be in the future/],
    ['a bad instant', { from: 'yesterday' }, /from must be an ISO 8601/],
    ['to without from', { to: '2026-11-01T00:00:00Z' }, /from is required/],
  ])('rejects %s with bad_request', (_, params, message) => {
    expect(() => resolve(params)).toThrow(expect.objectContaining({ code: 'bad_request', message: expect.stringMatching(message) }));
  });

  it('gives the same window to every reader within a minute (one cache key)', () => {
    const a = resolveTimeWindow({ from: 'now-7d' }, { now: new Date('2026-11-22T08:00:01Z'), defaultFrom: 'now-7d' });
    const b = resolveTimeWindow({ from: 'now-7d' }, { now: new Date('2026-11-22T08:00:59Z'), defaultFrom: 'now-7d' });
    expect([a.from, a.to]).toEqual([b.from, b.to]);
  });
});

describe('legacyDaysFrom', () => {
  it('maps the old ?days=N to from=now-Nd', () => {
    expect(legacyDaysFrom({ days: '30' })).toBe('now-30d');
    expect(legacyDaysFrom({})).toBeUndefined();
  });
  it.each(['0', '-7', '7.5', 'week', '3651'])('rejects days=%s with bad_request', (days) => {
    expect(() => legacyDaysFrom({ days })).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });
});

describe('windowStartWords', () => {
  it.each([
    [{ from: 'now-7d' }, '7 d ago'],
    [{ from: 'now-15m' }, '15 min ago'],
    [{ from: 'now-7d', to: 'now-1d' }, '2026-11-15 08:00 UTC'],
    [{ from: '2026-11-01T00:00:00Z' }, '2026-11-01'],
    [{ from: '2026-11-01T06:30:00Z', to: '2026-11-02T00:00:00Z' }, '2026-11-01 06:30 UTC'],
  ])('%o → %s', (params, words) => {
    expect(windowStartWords(resolve(params))).toBe(words);
  });
});
