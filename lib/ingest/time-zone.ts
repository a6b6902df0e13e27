// The zone of a log's zone-less times (HAProxy `%t`/`%tr`, Apache strftime without `%z`, an RFC 3164
// syslog header, Apache's error log): an IANA name (`Europe/Berlin`) or a fixed offset (`+02:00`),
// given per ingest (`--time-zone`, `timeZone=`). Times that carry their own zone or offset are never
// read with it. Offsets come from the runtime's time zone database (Intl.DateTimeFormat), so daylight
// saving time is followed wherever it changed.
//
// A wall time the clock skipped or showed twice is resolved as java.time's ZonedDateTime.ofLocal,
// Temporal's `disambiguation: 'compatible'` and Elasticsearch's date processor do it:
// - the repeated hour (autumn, 02:30 twice in Europe/Berlin) is its EARLIER instant, the one still
//   on summer time (00:30Z, not 01:30Z): a log cannot say which pass wrote a line;
// - the skipped hour (spring, 02:30 never shown in Europe/Berlin) is moved forward by the length of
//   the gap, read with the offset before the change (02:30 → 01:30Z, which the clock showed as 03:30).

export interface LogTimeZone {
  /** `Europe/Berlin` (the runtime's canonical spelling), or a fixed offset `+02:00`, `UTC` for ±00:00. */
  readonly name: string;
  /** A wall-clock time, as milliseconds read as if it were UTC (Date.UTC of its parts) → the instant. */
  toUtc(wallMs: number): number;
}

/** What the CLI and the API say of a value that is not a zone. */
export const TIME_ZONE_MESSAGE = 'must be an IANA time zone such as Europe/Berlin, or a fixed offset such as +02:00';

const MINUTE = 60_000;
const DAY = 86_400_000;
const FIXED = /^(?:UTC|GMT)?([+-])(\d{2}):?(\d{2})$/i;
const IANA = /^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/;

function fixedZone(offsetMin: number): LogTimeZone {
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  const name = offsetMin === 0 ? 'UTC' : `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  return { name, toUtc: (wallMs) => wallMs - offsetMin * MINUTE };
}

export const UTC_ZONE: LogTimeZone = fixedZone(0);

/** An IANA zone: offsets read through Intl, cached per wall-clock minute (zones change on whole minutes). */
function ianaZone(name: string, fmt: Intl.DateTimeFormat): LogTimeZone {
  const offsets = new Map<number, number>();
  /** The zone's offset (minutes east of UTC) at an instant. */
  const offsetAt = (utcMs: number): number => {
    const whole = Math.floor(utcMs / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const x of fmt.formatToParts(new Date(whole))) if (x.type !== 'literal') p[x.type] = Number(x.value);
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!);
    return Math.round((wall - whole) / MINUTE);
  };
  const resolve = (minuteMs: number): number => {
    const before = offsetAt(minuteMs - DAY);
    const after = offsetAt(minuteMs + DAY);
    const valid = [before, after].filter((o) => offsetAt(minuteMs - o * MINUTE) === o);
    // None fits: the clock skipped this time; read it with the offset before the change (moves it forward).
    if (valid.length === 0) return before;
    // Two fit: the clock showed it twice; the earlier instant has the larger offset.
    return Math.max(...valid);
  };
  return {
    name,
    toUtc(wallMs) {
      const minute = Math.floor(wallMs / MINUTE) * MINUTE;
      let off = offsets.get(minute);
      if (off === undefined) {
        off = resolve(minute);
        if (offsets.size >= 4096) offsets.clear();
        offsets.set(minute, off);
      }
      return wallMs - off * MINUTE;
    },
  };
}

/** `Europe/Berlin`, `+02:00`, `-0530`, `UTC` → a zone; null for anything else (an unknown name, a bad offset). */
export function parseTimeZone(text: string): LogTimeZone | null {
  const s = text.trim();
  const fixed = FIXED.exec(s);
  if (fixed) {
    const h = Number(fixed[2]);
    const m = Number(fixed[3]);
    if (h > 14 || m > 59) return null;
    return fixedZone((fixed[1] === '-' ? -1 : 1) * (h * 60 + m));
  }
  if (/^(?:UTC|Z|GMT)$/i.test(s)) return UTC_ZONE;
  if (!IANA.test(s)) return null;
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: s, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
  } catch {
    return null;
  }
  return ianaZone(fmt.resolvedOptions().timeZone, fmt);
}
