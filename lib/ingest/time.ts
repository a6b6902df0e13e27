// Timestamps as logs write them (ISO 8601, CLF, OpenSSL dates, epoch seconds or milliseconds).
import { FieldError, isUnset } from './fields.ts';
import type { LogTimeZone } from './time-zone.ts';

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/**
 * A timestamp as logs write it: ISO 8601, CLF `22/Nov/2026:08:06:14 +0000`, epoch seconds
 * (NGINX `$msec`, fractional) or epoch milliseconds (Kong, OCSF, API Gateway). An ISO time without
 * an offset (`2026-12-06T10:00:00.123`, Keycloak's `2026-12-06 10:00:00,123`) is a wall-clock time
 * in `zone` (the ingest's `--time-zone` / `timeZone=`, lib/ingest/time-zone.ts), UTC without one;
 * a time that carries an offset or `Z` is never shifted.
 */
export function parseTime(v: unknown, zone?: LogTimeZone | null): Date | null {
  if (isUnset(v)) return null;
  if (typeof v === 'number') return epoch(v);
  if (typeof v !== 'string') return null;
  // Log timestamps (second resolution) and certificate validity dates repeat line after line.
  let hit = timeCache.get(v);
  if (hit === undefined) {
    hit = parseTimeString(v.trim());
    if (timeCache.size >= 512) timeCache.clear();
    timeCache.set(v, hit);
  }
  if (hit === null) return null;
  return hit.local && zone ? valid(new Date(zone.toUtc(hit.ms))) : new Date(hit.ms);
}

/** A parsed time: `ms` the instant, or — `local` — the wall-clock time read as if it were UTC. */
type ParsedTime = { ms: number; local: boolean } | null;

const timeCache = new Map<string, ParsedTime>();

const at = (d: Date | null, local = false): ParsedTime => (d ? { ms: d.getTime(), local } : null);

function parseTimeString(s: string): ParsedTime {
  if (/^\d+(\.\d+)?$/.test(s)) return at(epoch(Number(s)));
  const clf = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (clf) {
    const mon = MONTHS[clf[2]!];
    if (mon === undefined) return null;
    const off = (clf[8] === '-' ? -1 : 1) * (Number(clf[9]) * 60 + Number(clf[10]));
    const ms = Date.UTC(Number(clf[3]), mon, Number(clf[1]), Number(clf[4]), Number(clf[5]), Number(clf[6]), Number((clf[7] ?? '0').slice(0, 3).padEnd(3, '0')));
    return at(valid(new Date(ms - off * 60_000)));
  }
  // ISO-ish; "2026-11-22 08:06:14,123" (Keycloak/Java) becomes "2026-11-22T08:06:14.123".
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (iso) {
    const frac = iso[3] ? `.${iso[3].slice(0, 3).padEnd(3, '0')}` : '';
    let zone = iso[4] ?? 'Z';
    if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    return at(valid(new Date(`${iso[1]}T${iso[2]}${frac}${zone.toUpperCase()}`)), iso[4] === undefined);
  }
  const ossl = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(s);
  if (ossl) {
    const mon = MONTHS[ossl[1]!];
    if (mon === undefined) return null;
    return at(valid(new Date(Date.UTC(Number(ossl[6]), mon, Number(ossl[2]), Number(ossl[3]), Number(ossl[4]), Number(ossl[5])))));
  }
  // Other RFC 2822-ish forms.
  if (/^[A-Z][a-z]{2},? /.test(s)) return at(valid(new Date(s)));
  return null;
}

function epoch(n: number): Date | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  // Seconds until year 5138; beyond that it must be milliseconds.
  return valid(new Date(n < 1e11 ? n * 1000 : n));
}

function valid(d: Date): Date | null {
  const t = d.getTime();
  return Number.isNaN(t) || t < 0 || t > 253402300799999 ? null : d;
}

/** parseTime, or a FieldError naming `field` (missing_field, invalid_timestamp). */
export function requireTime(v: unknown, field: string, zone?: LogTimeZone | null): Date {
  const d = parseTime(v, zone);
  if (!d) {
    throw new FieldError(isUnset(v) ? 'missing_field' : 'invalid_timestamp', isUnset(v) ? `no timestamp (${field})` : `unreadable timestamp in ${field}: ${String(v).slice(0, 40)}`);
  }
  return d;
}
