// `from` / `to` query parameters (ISO 8601 with offset) → Dates; bad values → 422 with the field.
import { HoldfastError } from '../errors.ts';

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export function parseInstant(name: string, value: string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = new Date(value);
  if (!ISO.test(value) || Number.isNaN(d.getTime())) {
    throw new HoldfastError('validation_failed', `${name} must be an ISO 8601 date or date-time with offset`, { errors: [{ path: name, message: 'must be an ISO 8601 date or date-time with offset, e.g. 2026-11-01T00:00:00Z' }] });
  }
  return d;
}

export function rangeFromQuery(q: URLSearchParams): { from: Date | null; to: Date | null } {
  const from = parseInstant('from', q.get('from'));
  const to = parseInstant('to', q.get('to'));
  if (from && to && from > to) throw new HoldfastError('validation_failed', 'from must not be after to', { errors: [{ path: 'from', message: 'must not be after to' }] });
  return { from, to };
}
