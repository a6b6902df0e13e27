// Instants as people and programs write them (ISO 8601 with offset) → Dates PostgreSQL stores as
// given; bad values are a bad_request naming the parameter (400 on the API, exit 2 in the CLI).
// Shared by the API's query schemas, the list filters and the CLI, so it lives below all of them.
import { z } from 'zod';
import { HoldfastError } from '../errors.ts';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * A Date PostgreSQL accepts back as we send it: years 1–9999 in UTC. JavaScript parses years up to
 * 275760 and before year 1, and serialises them as "+099999-…" / "-000001-…", which PostgreSQL
 * reads as an out-of-range time zone displacement — a 500 from a mistyped year.
 */
export function isStorableInstant(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999;
}

export function parseInstant(name: string, value: string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = new Date(value);
  if (!ISO.test(value) || !isStorableInstant(d)) {
    throw new HoldfastError('bad_request', `${name} must be an ISO 8601 date or date-time with offset`, { errors: [{ path: name, message: INSTANT_MESSAGE }] });
  }
  return d;
}

export const INSTANT_MESSAGE = 'must be an ISO 8601 date or date-time with offset between the years 1 and 9999, e.g. 2026-11-01T00:00:00Z';

/**
 * A required instant in a JSON body (simulations, plans): a string parsed by parseInstant into a
 * Date, an empty or bad value one validation issue naming what a good value looks like.
 */
export function instantSchema(name: string) {
  return z.string().transform((v, ctx) => {
    try {
      const d = parseInstant(name, v);
      if (d) return d;
    } catch {
      // reported below with the one message every instant uses
    }
    ctx.addIssue({ code: 'custom', message: INSTANT_MESSAGE });
    return z.NEVER;
  });
}

export function rangeFromQuery(q: URLSearchParams): { from: Date | null; to: Date | null } {
  const from = parseInstant('from', q.get('from'));
  const to = parseInstant('to', q.get('to'));
  if (from && to && from > to) throw new HoldfastError('bad_request', 'from must not be after to', { errors: [{ path: 'from', message: 'must not be after to' }] });
  return { from, to };
}
