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

/** `now`, or `now-` a whole number of minutes, hours, days or weeks (Grafana's relative times). */
const RELATIVE = /^now(?:-(\d{1,6})([mhdw]))?$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

export const WINDOW_INSTANT_MESSAGE = 'must be an ISO 8601 date-time between the years 1 and 9999, or now-<n>m|h|d|w';

/**
 * An edge of a time window from a URL: ISO 8601, or relative to `now` (`now-24h`, `now-7d`) so a
 * shared link keeps its window moving; null when the value is neither (or a year PostgreSQL cannot
 * read back).
 */
export function windowInstant(value: string, now: Date): Date | null {
  const rel = RELATIVE.exec(value);
  if (rel) return new Date(now.getTime() - (rel[1] ? Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS] : 0));
  const d = new Date(value);
  return isStorableInstant(d) ? d : null;
}
