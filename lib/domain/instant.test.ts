import { describe, expect, it } from 'vitest';
import { instantSchema, parseInstant } from './instant.ts';

describe('instants', () => {
  it('parses ISO 8601 with offset into the Date PostgreSQL stores as sent', () => {
    expect(parseInstant('from', '2026-11-01T00:00:00Z')?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseInstant('from', '2026-11-01')?.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(parseInstant('from', '')).toBeNull();
  });

  it('refuses years PostgreSQL cannot take back and words that are not dates, naming the parameter', () => {
    for (const v of ['0000-01-01T00:00:00Z', '+099999-01-01T00:00:00Z', 'yesterday', '2026-11-01 00:00']) {
      expect(() => parseInstant('to', v), v).toThrow(/^to must be an ISO 8601/);
    }
  });

  it('one body schema: a required instant, empty and bad values one issue with the shared message', () => {
    expect(instantSchema('from').parse('2026-11-01T00:00:00+02:00').toISOString()).toBe('2026-10-31T22:00:00.000Z');
    for (const v of ['', '0000-01-01T00:00:00Z', 'soon']) {
      const r = instantSchema('from').safeParse(v);
      expect(r.success, v).toBe(false);
      expect(r.error?.issues).toHaveLength(1);
      expect(r.error?.issues[0]?.message).toMatch(/years 1 and 9999/);
    }
  });
});
