// Timestamps as logs write them (ISO 8601, CLF, OpenSSL dates, epoch seconds or milliseconds).
import { FieldError, isUnset } from './fields.ts';

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/**
 * A timestamp as logs write it: ISO 8601, CLF `22/Nov/2026:08:06:14 +0000`, epoch seconds
 * (NGINX `$msec`, fractional) or epoch milliseconds (Kong, OCSF, API Gateway). Zone-less ISO
 * times are taken as UTC.
 */
export function parseTime(v: unknown): Date | null {
  if (isUnset(v)) return null;
  if (typeof v === 'number') return epoch(v);
  if (typeof v !== 'string') return null;
  // Log timestamps (second resolution) and certificate validity dates repeat line after line.
  const hit = timeCache.get(v);
  if (hit !== undefined) return hit === null ? null : new Date(hit);
  const d = parseTimeString(v.trim());
  if (timeCache.size >= 512) timeCache.clear();
  timeCache.set(v, d ? d.getTime() : null);
  return d;
}

const timeCache = new Map<string, number | null>();

function parseTimeString(s: string): Date | null {
  if (/^\d+(\.\d+)?$/.test(s)) return epoch(Number(s));
  const clf = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (clf) {
    const mon = MONTHS[clf[2]!];
    if (mon === undefined) return null;
    const off = (clf[8] === '-' ? -1 : 1) * (Number(clf[9]) * 60 + Number(clf[10]));
    const ms = Date.UTC(Number(clf[3]), mon, Number(clf[1]), Number(clf[4]), Number(clf[5]), Number(clf[6]), Number((clf[7] ?? '0').slice(0, 3).padEnd(3, '0')));
    return valid(new Date(ms - off * 60_000));
  }
  // ISO-ish; "2026-11-22 08:06:14,123" (Keycloak/Java) becomes "2026-11-22T08:06:14.123".
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (iso) {
    const frac = iso[3] ? `.${iso[3].slice(0, 3).padEnd(3, '0')}` : '';
    let zone = iso[4] ?? 'Z';
    if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    return valid(new Date(`${iso[1]}T${iso[2]}${frac}${zone.toUpperCase()}`));
  }
  const ossl = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(s);
  if (ossl) {
    const mon = MONTHS[ossl[1]!];
    if (mon === undefined) return null;
    return valid(new Date(Date.UTC(Number(ossl[6]), mon, Number(ossl[2]), Number(ossl[3]), Number(ossl[4]), Number(ossl[5]))));
  }
  // Other RFC 2822-ish forms.
  if (/^[A-Z][a-z]{2},? /.test(s)) return valid(new Date(s));
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

export function requireTime(v: unknown, field: string): Date {
  const d = parseTime(v);
  if (!d) {
    throw new FieldError(isUnset(v) ? 'missing_field' : 'invalid_timestamp', isUnset(v) ? `no timestamp (${field})` : `unreadable timestamp in ${field}: ${String(v).slice(0, 40)}`);
  }
  return d;
}
