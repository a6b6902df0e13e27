// Set-based SQL helpers for the ingest hot path: every column travels as a text[] parameter and
// is cast in SQL (PGlite and node-postgres agree on text arrays), one statement per chunk.
import { ARRAY_SEPARATOR, type BulkColumn } from '../../seed/sql-bulk.ts';

export type { BulkColumn };

export function cellText(v: string | number | boolean | Date | readonly string[] | null): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  // PostgreSQL text cannot hold NUL: a NUL that reached a parsed value becomes U+FFFD.
  if (typeof v === 'string') return v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
  return v.join(ARRAY_SEPARATOR);
}

function castExpr(name: string, type: string): string {
  const ref = `u."${name}"`;
  if (type === 'text') return ref;
  if (type === 'text[]') return `COALESCE(string_to_array(${ref}, chr(31)), '{}')`;
  return `${ref}::${type}`;
}

/** `SELECT <casts> FROM unnest($1::text[], …) AS u(<names>)` for the given columns, parameters from `first`. */
export function unnestSelect<R>(columns: ReadonlyArray<BulkColumn<R>>, first = 1): string {
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const params = columns.map((_, i) => `$${i + first}::text[]`).join(', ');
  const selects = columns.map((c) => castExpr(c.name, c.type)).join(', ');
  return `SELECT ${selects} FROM unnest(${params}) AS u(${names})`;
}

export function columnNames<R>(columns: ReadonlyArray<BulkColumn<R>>): string {
  return columns.map((c) => `"${c.name}"`).join(', ');
}

/** One text[] parameter per column. */
export function unnestParams<R>(columns: ReadonlyArray<BulkColumn<R>>, rows: readonly R[]): (string | null)[][] {
  return columns.map((c) => rows.map((r) => cellText(c.get(r))));
}
