// Query strings through zod schemas: each route's `query` (lib/http/route.ts) and the list filters
// the views, the API and the CLI share (lib/services/estate), so all of them refuse the same values.
// Values arrive as strings; each parser says in its message what a good value looks like, and its
// input side renders as JSON Schema (z.toJSONSchema): what the OpenAPI document shows for it.
// Lives below the HTTP plumbing and the services because both parse with it (as instant.ts does).
import { z } from 'zod';
import { HoldfastError } from '../errors.ts';
import { INSTANT_MESSAGE, parseInstant, WINDOW_INSTANT_MESSAGE, windowInstant } from './instant.ts';
import { unsafeTextMessage, unsafeTextReason } from './unsafe-text.ts';

/** A query as a URL holds it, or as a page's searchParams do (a repeated parameter as an array). */
export type Params = URLSearchParams | Record<string, string | string[] | undefined>;

/** The first value of each parameter: what a query schema parses. */
export function firstValues(p: Params): Record<string, string> {
  const raw: Record<string, string> = {};
  if (p instanceof URLSearchParams) {
    for (const [k, v] of p) if (!(k in raw)) raw[k] = v;
  } else {
    for (const [k, v] of Object.entries(p)) {
      const first = Array.isArray(v) ? v[0] : v;
      if (first !== undefined) raw[k] = first;
    }
  }
  return raw;
}

export interface QueryIssue {
  path: string;
  message: string;
}

/**
 * A query through its schema. A refused value is a bad_request whose message `say` words from the
 * first refusal (the API names it as a query parameter, a page or the CLI by its name alone); the
 * details list up to 20, each naming its parameter.
 */
export function parseParams<Q>(schema: z.ZodType<Q>, p: Params, say: (first: QueryIssue) => string): Q {
  const r = schema.safeParse(firstValues(p));
  if (r.success) return r.data;
  const errors: QueryIssue[] = r.error.issues.slice(0, 20).map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new HoldfastError('bad_request', say(errors[0]!), { errors });
}

const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  // Digits only (no 1e3, 0x10, -0 or blanks), then the range; the input side reads as an integer.
  return z.preprocess((v) => (typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : v), z.int({ error: message }).min(min, message).max(max, message));
};
type WholeNumber = ReturnType<typeof wholeNumber>;

/** A whole number from min to max; when absent undefined, or `fallback` when one is given. */
export function intParam(min: number, max: number): z.ZodOptional<WholeNumber>;
export function intParam(min: number, max: number, fallback: number): z.ZodPrefault<WholeNumber>;
export function intParam(min: number, max: number, fallback?: number): z.ZodOptional<WholeNumber> | z.ZodPrefault<WholeNumber> {
  return fallback === undefined ? wholeNumber(min, max).optional() : wholeNumber(min, max).prefault(fallback);
}

/** One of a fixed set of words (a const tuple or list of lib/domain/types.ts), optional. */
export function enumParam<const T extends string>(values: readonly T[]) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` }).optional();
}

/** Free text up to `max` characters, optional. */
export function textParam(max = 300) {
  return z.string().max(max, `is longer than ${max} characters`).optional();
}

/** A UUID (any version, as the database's ids), lower-cased, optional. */
export function uuidParam() {
  return z
    .guid({ error: 'must be a UUID' })
    .transform((v) => v.toLowerCase())
    .optional();
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

/** An edge of a time window: ISO 8601, or relative to now when parsed (`now-24h`, `now-7d`), optional. */
export function windowInstantParam() {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const d = windowInstant(v, new Date());
      if (d) return d;
      ctx.addIssue({ code: 'custom', message: WINDOW_INSTANT_MESSAGE });
      return z.NEVER;
    });
}

/**
 * The parameters of a list's filters. Links and forms send a filter left unset as an empty value,
 * so an empty (or blank) value counts as absent and values are trimmed; text PostgreSQL cannot store
 * is refused naming its parameter (pages read their filters without apiRoute's check).
 */
export function filterObject<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess((raw, ctx) => {
    if (raw === null || typeof raw !== 'object') return raw;
    const kept: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== 'string') kept[k] = v;
      else {
        const unsafe = unsafeTextReason(v);
        if (unsafe) ctx.addIssue({ code: 'custom', path: [k], message: unsafeTextMessage(unsafe), input: v });
        else if (v.trim() !== '') kept[k] = v.trim();
      }
    }
    return kept;
  }, z.object(shape));
}
