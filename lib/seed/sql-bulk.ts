// Set-based bulk insert: one `INSERT … SELECT FROM unnest($1::text[], …)` per chunk, so
// thousands of rows cost one round-trip and one plan instead of one statement each.
// Every column travels as text and is cast in SQL: PGlite and node-postgres serialise
// typed arrays differently (dates, booleans), text arrays they agree on.
import type { Database } from '../db/open.ts';

/** Anything that runs a parameterised statement: a transaction, a pool client, the database. */
export type SqlExecutor = (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }>;

/** Arrays inside a cell are joined with the ASCII unit separator, never found in scopes or URLs. */
export const ARRAY_SEPARATOR = '\u001f';

export interface BulkColumn<R> {
  /** Column name as in the table (quoted in SQL). */
  name: string;
  /** SQL type the text value is cast to: 'uuid', 'timestamptz', 'int4', 'bool', 'text[]', '"Binding"', … */
  type: string;
  get(row: R): string | number | boolean | Date | readonly string[] | null;
}

function toText(v: string | number | boolean | Date | readonly string[] | null): string | null {
  if (v === null) return null;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return v;
  return v.join(ARRAY_SEPARATOR);
}

function castExpr(name: string, type: string): string {
  const ref = `u."${name}"`;
  if (type === 'text') return ref;
  if (type === 'text[]') return `string_to_array(${ref}, chr(31))`;
  return `${ref}::${type}`;
}

/** Builds the statement for one chunk; exported for the benchmark. */
export function bulkInsertSql<R>(table: string, columns: ReadonlyArray<BulkColumn<R>>): string {
  const names = columns.map((c) => `"${c.name}"`).join(', ');
  const params = columns.map((_, i) => `$${i + 1}::text[]`).join(', ');
  const selects = columns.map((c) => castExpr(c.name, c.type)).join(', ');
  return `INSERT INTO "${table}" (${names}) SELECT ${selects} FROM unnest(${params}) AS u(${names})`;
}

/** Inserts rows in chunks of `chunkSize` through `exec`. Returns the number of rows sent. */
export async function bulkInsert<R>(
  exec: SqlExecutor,
  table: string,
  columns: ReadonlyArray<BulkColumn<R>>,
  rows: readonly R[],
  chunkSize = 5000,
): Promise<number> {
  const sql = bulkInsertSql(table, columns);
  for (let start = 0; start < rows.length; start += chunkSize) {
    const chunk = rows.slice(start, start + chunkSize);
    const params = columns.map((c) => chunk.map((r) => toText(c.get(r))));
    await exec(sql, params);
  }
  return rows.length;
}

/**
 * Runs `fn` in one transaction on either runtime. PGlite has a single connection, so its own
 * `transaction()` (which also holds other callers off); PostgreSQL needs one pool client for
 * the whole BEGIN … COMMIT, or the statements would land on different connections.
 */
export async function withTransaction<T>(db: Database, fn: (exec: SqlExecutor) => Promise<T>): Promise<T> {
  if (db.pglite) {
    return db.pglite.transaction((tx) => fn((sql, params) => tx.query(sql, params)));
  }
  if (db.pool) {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn((sql, params) => client.query(sql, params));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    } finally {
      client.release();
    }
  }
  // A Database without a driver handle (a test double): plain statements on its one connection.
  await db.query('BEGIN');
  try {
    const out = await fn(async (sql, params) => ({ rows: await db.query(sql, params) }));
    await db.query('COMMIT');
    return out;
  } catch (e) {
    await db.query('ROLLBACK').catch(() => {});
    throw e;
  }
}
