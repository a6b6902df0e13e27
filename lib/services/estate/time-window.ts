// The time window a page with a time dimension shows, resolved from the URL's from/to (the shared
// time-range picker writes them: `now-7d` style relative values or ISO instants). Pure: the clock
// is an argument, so the same URL gives the same window in a test.
import { HoldfastError } from '../../errors.ts';
import type { WindowBucket } from '../../domain/time-bucket.ts';
import { dateParam, getParam, type Params } from './query.ts';

export interface TimeWindow {
  from: Date;
  to: Date;
  /** `from` as the URL wrote it (`now-7d` or an ISO instant), for words and links. */
  fromText: string;
  /** `to` as the URL wrote it; undefined when the window ends now. */
  toText: string | undefined;
  /** True when the window moves with the clock (from and to are both relative). */
  relative: boolean;
  /** Chart bucket: hours while a day-by-day chart would have one or two bars. */
  bucket: WindowBucket;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Windows up to this long are charted by hour; longer ones by UTC day. */
export const HOURLY_BUCKETS_UP_TO_MS = 48 * HOUR_MS;
/** The longest `?days=` the old Overview link could mean (ten years); more is a typo. */
const MAX_LEGACY_DAYS = 3650;

/**
 * The window for `params` at `now`. `from` defaults to `defaultFrom`; `to` defaults to now and is
 * never later than now (trends at a future instant would be today's figures labelled wrongly).
 * A relative window ends at `now` rounded down to the minute, so readers within the same minute
 * get the same window (and share one cached computation) instead of one per millisecond.
 */
export function resolveTimeWindow(params: Params, opts: { now: Date; defaultFrom: string }): TimeWindow {
  const fromRaw = getParam(params, 'from');
  const toRaw = getParam(params, 'to');
  const fromText = fromRaw ?? (toRaw ? undefined : opts.defaultFrom);
  if (fromText === undefined) throw new HoldfastError('bad_request', 'from is required when to is given');
  const relative = fromText.startsWith('now') && (toRaw === undefined || toRaw.startsWith('now'));
  const clock = relative ? new Date(Math.floor(opts.now.getTime() / MINUTE_MS) * MINUTE_MS) : opts.now;
  const from = dateParam({ from: fromText }, 'from', clock)!;
  const toAsked = dateParam(params, 'to', clock) ?? clock;
  const to = toAsked > clock ? clock : toAsked;
  if (from > to) throw new HoldfastError('bad_request', from > clock ? 'from must not be in the future' : 'from must not be after to');
  const bucket: WindowBucket = to.getTime() - from.getTime() <= HOURLY_BUCKETS_UP_TO_MS ? 'hour' : 'day';
  return { from, to, fromText, toText: toRaw, relative, bucket };
}

/**
 * The old Overview's `?days=N` (a trend period in days) as the picker's `from`, so bookmarks made
 * before the shared picker keep their window. Undefined when the URL has no `days`.
 */
export function legacyDaysFrom(params: Params): string | undefined {
  const days = getParam(params, 'days');
  if (days === undefined) return undefined;
  const n = Number(days);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LEGACY_DAYS) throw new HoldfastError('bad_request', `days must be a whole number from 1 to ${MAX_LEGACY_DAYS}`);
  return `now-${n}d`;
}

const UNIT_WORDS = { m: 'min', h: 'h', d: 'd', w: 'w' } as const;

/**
 * Words for the window's start as a comparison point: "7 d ago" for a relative start of a window
 * that ends now, otherwise the UTC date (and time, unless midnight) - "7 d ago" would be untrue
 * for a custom range.
 */
export function windowStartWords(w: Pick<TimeWindow, 'from' | 'fromText' | 'toText'>): string {
  const rel = /^now-(\d+)([mhdw])$/.exec(w.fromText);
  // "ago" counts back from now: true only when the window ends now.
  if (rel && (w.toText === undefined || w.toText === 'now')) return `${rel[1]} ${UNIT_WORDS[rel[2] as keyof typeof UNIT_WORDS]} ago`;
  const iso = w.from.toISOString();
  const time = iso.slice(11, 16);
  return time === '00:00' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${time} UTC`;
}
