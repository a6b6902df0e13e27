// Building blocks for route query schemas (apiRoute's `query` option): query values arrive as
// strings, so each parser takes a string and says in its message what a good value looks like.
import { z } from 'zod';
import { INSTANT_MESSAGE, parseInstant } from '../domain/instant.ts';

/** A whole number from min to max (a string in the query), else the default when absent. */
export function intParam(min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d{1,9}$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be a whole number from ${min} to ${max}`)
    .optional()
    .transform((n) => n ?? fallback);
}

/** One of a fixed set of words, optional. */
export function enumParam<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` }).optional();
}

/** An ISO 8601 instant with offset, years 1-9999 (what PostgreSQL stores as sent), optional. */
export function instantParam(name: string) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseInstant(name, v) ?? undefined;
      } catch {
        ctx.addIssue({ code: 'custom', message: INSTANT_MESSAGE });
        return z.NEVER;
      }
    });
}
