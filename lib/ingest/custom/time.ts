// Time as log formats write it, in pieces: one variable may carry a whole timestamp (NGINX
// `$time_iso8601`), or several carry parts of one (Apache `%{%Y-%m-%dT%H:%M:%S}t.%{msec_frac}t%{%z}t`,
// HAProxy `%Ts` + `%ms`). Each time variable compiles to a pattern and a reader of its parts; the
// parts of one line are merged, first value of each part winning. Times without a zone are read in
// the zone given with the ingest (time-zone.ts), else as UTC (the compile says which).
import { parseTime } from '../time.ts';
import type { LogTimeZone } from '../time-zone.ts';

export interface TimeParts {
  epochMs?: number;
  /** Milliseconds to add to a whole-second epoch or date. */
  fracMs?: number;
  year?: number;
  month?: number;
  day?: number;
  hour?: number;
  minute?: number;
  second?: number;
  offsetMin?: number;
}

/** A time variable: the shape of its value and how to read it. */
export interface TimeReader {
  /** Regex source of the value (no anchors, no capture groups). */
  pattern: string;
  read(text: string): TimeParts | null;
  /** What it provides, for the compile-time check that a format gives a full date. */
  gives: 'full' | 'epoch' | 'date_parts' | 'fraction';
  /** The date parts it provides, when gives is 'date_parts'. */
  parts?: ReadonlyArray<keyof TimeParts>;
  /** A whole date and time with no zone (HAProxy `%tr`): read in the ingest's zone, else as UTC. */
  zoneless?: boolean;
}

/**
 * Whether the time variables of a format say which zone their time is in: an epoch, a whole
 * timestamp with its offset, or strftime pieces with `%z`. Checked once, at compile time.
 */
export function timeHasZone(readers: readonly TimeReader[]): boolean {
  return readers.some((r) => r.gives === 'epoch' || (r.gives === 'full' && !r.zoneless) || !!r.parts?.includes('offsetMin'));
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*';

/** A whole timestamp util.parseTime reads (ISO 8601, CLF, epoch seconds). */
export function wholeTime(pattern: string): TimeReader {
  return {
    pattern,
    gives: 'full',
    read(text) {
      const d = parseTime(text);
      return d ? { epochMs: d.getTime() } : null;
    },
  };
}

export const ISO_TIME = wholeTime('\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:Z|[+-]\\d{2}:?\\d{2})?');
export const CLF_TIME = wholeTime('\\d{1,2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)? [+-]\\d{4}');
/** Apache `%t`: CLF in brackets. */
export const CLF_BRACKETED_TIME: TimeReader = {
  pattern: '\\[\\d{1,2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)? [+-]\\d{4}\\]',
  gives: 'full',
  read(text) {
    const d = parseTime(text.slice(1, -1));
    return d ? { epochMs: d.getTime() } : null;
  },
};

/** Epoch with `scale` units per second (1 s, 1000 ms, 1e6 µs); fractional seconds allowed. */
export function epochTime(scale: number): TimeReader {
  return {
    pattern: '\\d+(?:\\.\\d+)?',
    gives: 'epoch',
    read(text) {
      const n = Number(text);
      return Number.isFinite(n) && n > 0 ? { epochMs: Math.round((n * 1000) / scale) } : null;
    },
  };
}

/** The sub-second part alone (`msec_frac`, HAProxy `%ms`): `digits` digits. */
export function fractionTime(digits: number): TimeReader {
  return {
    pattern: `\\d{${digits}}`,
    gives: 'fraction',
    read(text) {
      return { fracMs: Math.floor(Number(text) / 10 ** (digits - 3)) };
    },
  };
}

/** HAProxy `%t`/`%tr`: `04/Dec/2026:10:22:49.721`, local time without a zone (read in the ingest's zone, else as UTC). */
export const HAPROXY_DATE: TimeReader = {
  zoneless: true,
  pattern: '\\d{2}/[A-Z][a-z]{2}/\\d{4}:\\d{2}:\\d{2}:\\d{2}\\.\\d{3}',
  gives: 'full',
  read(text) {
    const m = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})$/.exec(text);
    const month = m ? MONTHS.indexOf(m[2]!.toLowerCase()) : -1;
    if (!m || month < 0) return null;
    return { year: Number(m[3]), month: month + 1, day: Number(m[1]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]), fracMs: Number(m[7]) };
  },
};

interface StrfPiece {
  re: string;
  set?: (parts: TimeParts, v: string) => boolean;
  part?: keyof TimeParts;
}

const num = (part: keyof TimeParts, re: string): StrfPiece => ({
  re,
  part,
  set: (p, v) => {
    (p as Record<string, number>)[part] = Number(v);
    return true;
  },
});

const monthName: StrfPiece = {
  re: MONTH_NAMES,
  part: 'month',
  set: (p, v) => {
    const i = MONTHS.indexOf(v.slice(0, 3).toLowerCase());
    p.month = i + 1;
    return i >= 0;
  },
};

const zone: StrfPiece = {
  re: '[+-]\\d{2}:?\\d{2}|Z',
  part: 'offsetMin',
  set: (p, v) => {
    if (v === 'Z') p.offsetMin = 0;
    else p.offsetMin = (v[0] === '-' ? -1 : 1) * (Number(v.slice(1, 3)) * 60 + Number(v.slice(-2)));
    return true;
  },
};

/** strftime conversions Apache (and anyone using strftime) writes; %a/%A/%Z are matched and ignored. */
const STRFTIME: Readonly<Record<string, StrfPiece | string>> = {
  Y: num('year', '\\d{4}'),
  y: { re: '\\d{2}', part: 'year', set: (p, v) => ((p.year = 2000 + Number(v)), true) },
  m: num('month', '\\d{2}'),
  d: num('day', '\\d{2}'),
  e: { re: ' ?\\d{1,2}', part: 'day', set: (p, v) => ((p.day = Number(v.trim())), true) },
  H: num('hour', '\\d{2}'),
  M: num('minute', '\\d{2}'),
  S: num('second', '\\d{2}'),
  b: monthName,
  h: monthName,
  B: monthName,
  z: zone,
  Z: { re: '[A-Z]{1,5}' },
  a: { re: '[A-Z][a-z]{2}' },
  A: { re: '[A-Z][a-z]+' },
  s: { re: '\\d+', part: 'epochMs', set: (p, v) => ((p.epochMs = Number(v) * 1000), true) },
  T: '%H:%M:%S',
  F: '%Y-%m-%d',
  D: '%m/%d/%y',
  R: '%H:%M',
  '%': '%',
  n: ' ',
  t: '\t',
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A strftime pattern → a TimeReader; null when it uses a conversion this module does not know. */
export function strftimeTime(fmt: string): TimeReader | null {
  const pieces: StrfPiece[] = [];
  const expand = (f: string, depth: number): boolean => {
    for (let i = 0; i < f.length; i++) {
      const c = f[i]!;
      if (c !== '%') {
        pieces.push({ re: escapeRe(c) });
        continue;
      }
      const k = f[++i];
      const conv = k === undefined ? undefined : STRFTIME[k];
      if (conv === undefined) return false;
      if (typeof conv === 'string') {
        if (k === '%' || k === 'n' || k === 't') pieces.push({ re: escapeRe(conv) });
        else if (depth > 2 || !expand(conv, depth + 1)) return false;
      } else pieces.push(conv);
    }
    return true;
  };
  if (!expand(fmt, 0)) return null;
  const re = new RegExp(`^${pieces.map((p) => (p.set ? `(${p.re})` : p.re)).join('')}$`);
  const setters = pieces.filter((p) => p.set);
  const parts = setters.map((p) => p.part!).filter(Boolean);
  return {
    pattern: pieces.map((p) => p.re).join(''),
    gives: parts.includes('epochMs') ? 'epoch' : 'date_parts',
    parts,
    read(text) {
      const m = re.exec(text);
      if (!m) return null;
      const out: TimeParts = {};
      for (let i = 0; i < setters.length; i++) if (!setters[i]!.set!(out, m[i + 1]!)) return null;
      return out;
    },
  };
}

const DATE_PARTS: ReadonlyArray<keyof TimeParts> = ['year', 'month', 'day', 'hour', 'minute', 'second'];

/** Whether the time variables of a format, together, give a full date (checked once, at compile time). */
export function timeIsComplete(readers: readonly TimeReader[]): boolean {
  if (readers.some((r) => r.gives === 'full' || r.gives === 'epoch')) return true;
  const have = new Set(readers.flatMap((r) => r.parts ?? []));
  return DATE_PARTS.every((p) => have.has(p));
}

/**
 * The parts of one line → a Date; null when they do not make one. Date parts without an offset are
 * a wall-clock time in `zone` (none: UTC); an epoch or an offset the line carries is never shifted.
 */
export function combineTime(pieces: readonly TimeParts[], zone: LogTimeZone | null = null): Date | null {
  if (pieces.length === 0) return null;
  const p: TimeParts = {};
  for (const x of pieces) {
    for (const [k, v] of Object.entries(x) as [keyof TimeParts, number][]) if (p[k] === undefined && v !== undefined) p[k] = v;
  }
  let ms: number;
  if (p.epochMs !== undefined) {
    ms = p.epochMs;
    if (p.fracMs !== undefined && ms % 1000 === 0) ms += p.fracMs;
  } else {
    if (DATE_PARTS.some((k) => p[k] === undefined)) return null;
    const { year, month, day, hour, minute, second } = p as Required<TimeParts>;
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
    const wall = Date.UTC(year, month - 1, day, hour, minute, second, p.fracMs ?? 0);
    ms = p.offsetMin !== undefined ? wall - p.offsetMin * 60_000 : zone ? zone.toUtc(wall) : wall;
  }
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) || ms < 0 || ms > 253402300799999 ? null : d;
}
