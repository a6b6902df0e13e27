// Set-based SQL for bulk writes, one module for every writer (ingest, evidence, demo seed).
//  - `INSERT … SELECT FROM unnest($1::text[], …)`: thousands of rows in one round trip and one
//    plan, on both runtimes. Every column travels as text and is cast in SQL: PGlite and
//    node-postgres serialise typed arrays differently (dates, booleans); text arrays they agree on.
//  - `COPY … FROM STDIN (FORMAT binary)` (PostgreSQL only): the fastest way in. Binary rows skip
//    PostgreSQL's text parsing of every value (~1.8× the rows per second of text COPY for the
//    narrow evidence rows, measured on this project's 2-core machine).
// Values PostgreSQL cannot hold are mapped the same way on every path: NUL in text → U+FFFD,
// NaN / ±Infinity / invalid dates → NULL, an empty array → '{}'.
import type pg from 'pg';
import type { Database } from './open.ts';

/** Anything that runs a parameterised statement: a transaction, a pool client, the database. */
export type SqlExecutor = (sql: string, params: unknown[]) => Promise<{ rows: unknown[] }>;

/**
 * Where an ingest batch writes what must not wait on it, or hold locks until it commits
 * (dimension values, partitions, proofs seen): the pool, outside the batch, on PostgreSQL; the
 * batch's own transaction on PGlite (its one connection).
 */
export function sideExecutor(db: Database, batchExec: SqlExecutor): SqlExecutor {
  return db.kind === 'postgres' ? async (sql, params) => ({ rows: await db.query(sql, params) }) : batchExec;
}

/** Arrays inside a cell are joined with the ASCII unit separator, never found in scopes or URLs. */
export const ARRAY_SEPARATOR = '\u001f';

export type CellValue = string | number | boolean | Date | readonly string[] | null | undefined;

export interface BulkColumn<R> {
  /** Column name as in the table (quoted in SQL). */
  name: string;
  /** SQL type the text value is cast to: 'text', 'uuid', 'timestamptz', 'int4', 'int8', 'bool', 'text[]', '"Binding"', … */
  type: string;
  get(row: R): CellValue;
}

/** One value as the text PostgreSQL casts from (null for SQL NULL). */
export function cellText(v: CellValue): string | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null;
  // PostgreSQL text cannot hold NUL: a NUL that reached a parsed value becomes U+FFFD.
  if (typeof v === 'string') return v.includes('\0') ? v.replaceAll('\0', '\uFFFD') : v;
  return v.map((x) => (x.includes('\0') ? x.replaceAll('\0', '\uFFFD') : x)).join(ARRAY_SEPARATOR);
}

function castExpr(name: string, type: string): string {
  const ref = `u."${name}"`;
  if (type === 'text') return ref;
  if (type === 'text[]') return `COALESCE(string_to_array(${ref}, chr(31)), '{}')`;
  return `${ref}::${type}`;
}

export function columnNames<R>(columns: ReadonlyArray<BulkColumn<R>>): string {
  return columns.map((c) => `"${c.name}"`).join(', ');
}

/** `SELECT <casts> FROM unnest($1::text[], …) AS u(<names>)` for the given columns, parameters from `first`. */
export function unnestSelect<R>(columns: ReadonlyArray<BulkColumn<R>>, first = 1): string {
  const names = columnNames(columns);
  const params = columns.map((_, i) => `$${i + first}::text[]`).join(', ');
  const selects = columns.map((c) => castExpr(c.name, c.type)).join(', ');
  return `SELECT ${selects} FROM unnest(${params}) AS u(${names})`;
}

/** One text[] parameter per column. */
export function unnestParams<R>(columns: ReadonlyArray<BulkColumn<R>>, rows: readonly R[]): (string | null)[][] {
  return columns.map((c) => rows.map((r) => cellText(c.get(r))));
}

/** `INSERT INTO table (cols) SELECT … FROM unnest(…)` for one chunk (`table` as written in SQL, quoted by the caller if needed). */
export function bulkInsertSql<R>(table: string, columns: ReadonlyArray<BulkColumn<R>>): string {
  return `INSERT INTO ${table} (${columnNames(columns)}) ${unnestSelect(columns)}`;
}

/** Inserts rows in chunks of `chunkSize` through `exec`. Returns the number of rows sent. */
export async function bulkInsert<R>(
  exec: SqlExecutor,
  table: string,
  columns: ReadonlyArray<BulkColumn<R>>,
  rows: readonly R[],
  chunkSize = 5000,
): Promise<number> {
  const sql = bulkInsertSql(/^"|\./.test(table) ? table : `"${table}"`, columns);
  for (let start = 0; start < rows.length; start += chunkSize) {
    await exec(sql, unnestParams(columns, rows.slice(start, start + chunkSize)));
  }
  return rows.length;
}

// ───────────────────────────── COPY, binary format ─────────────────────────────

/** Column types the binary COPY encoder writes (PostgreSQL's binary send formats). */
export type BinaryType = 'int2' | 'int4' | 'int8' | 'bool' | 'timestamptz' | 'uuid' | 'bytea' | 'text';

export interface BinaryColumn<R> {
  name: string;
  type: BinaryType;
  /** Numbers for int*, epoch milliseconds or a Date for timestamptz, a 32-hex or dashed string or 16 bytes for uuid. */
  get(row: R): number | boolean | Date | string | Uint8Array | null | undefined;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
// timestamptz is microseconds since 2000-01-01 UTC.
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const FIXED: Record<BinaryType, number> = { int2: 2, int4: 4, int8: 8, bool: 1, timestamptz: 8, uuid: 16, bytea: -1, text: -1 };

const HEX = /^[0-9a-fA-F]{32}$/;

function uuidBytes(v: string | Uint8Array, out: Buffer, at: number): void {
  if (typeof v !== 'string') {
    out.set(v.subarray(0, 16), at);
    return;
  }
  const hex = v.length === 36 ? v.slice(0, 8) + v.slice(9, 13) + v.slice(14, 18) + v.slice(19, 23) + v.slice(24) : v;
  if (!HEX.test(hex)) throw new Error(`not a uuid: ${v.slice(0, 40)}`);
  out.write(hex, at, 16, 'hex');
}

/**
 * Rows as one `COPY … FROM STDIN (FORMAT binary)` payload (header, tuples, trailer). Values are
 * checked for what the column can hold; text with NUL is mapped to U+FFFD as on the unnest path.
 */
export function binaryCopyPayload<R>(columns: ReadonlyArray<BinaryColumn<R>>, rows: readonly R[]): Buffer {
  // A first pass sizes the buffer exactly: one allocation, no resizing.
  const texts: (Buffer | null)[][] = columns.map(() => []);
  let size = SIGNATURE.length + 8 + 2;
  for (let i = 0; i < rows.length; i++) {
    size += 2;
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      const v = col.get(rows[i]!);
      size += 4;
      if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || (v instanceof Date && Number.isNaN(v.getTime()))) {
        texts[c]![i] = null;
        continue;
      }
      const fixed = FIXED[col.type];
      if (fixed >= 0) {
        size += fixed;
        continue;
      }
      const b = col.type === 'bytea' ? Buffer.from(v as Uint8Array) : Buffer.from(String(v).includes('\0') ? String(v).replaceAll('\0', '\uFFFD') : String(v), 'utf8');
      texts[c]![i] = b;
      size += b.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let p = SIGNATURE.copy(out, 0);
  p = out.writeInt32BE(0, p); // flags
  p = out.writeInt32BE(0, p); // header extension length
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    p = out.writeInt16BE(columns.length, p);
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      const v = col.get(row);
      if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || (v instanceof Date && Number.isNaN(v.getTime()))) {
        p = out.writeInt32BE(-1, p);
        continue;
      }
      switch (col.type) {
        case 'int2':
          p = out.writeInt32BE(2, p);
          p = out.writeInt16BE(v as number, p);
          break;
        case 'int4':
          p = out.writeInt32BE(4, p);
          p = out.writeInt32BE(v as number, p);
          break;
        case 'int8':
          p = out.writeInt32BE(8, p);
          p = out.writeBigInt64BE(BigInt(Math.trunc(v as number)), p);
          break;
        case 'bool':
          p = out.writeInt32BE(1, p);
          p = out.writeUInt8(v ? 1 : 0, p);
          break;
        case 'timestamptz': {
          const ms = v instanceof Date ? v.getTime() : (v as number);
          p = out.writeInt32BE(8, p);
          p = out.writeBigInt64BE(BigInt(Math.round((ms - PG_EPOCH_MS) * 1000)), p);
          break;
        }
        case 'uuid':
          p = out.writeInt32BE(16, p);
          uuidBytes(v as string | Uint8Array, out, p);
          p += 16;
          break;
        default: {
          const b = texts[c]![i]!;
          p = out.writeInt32BE(b.length, p);
          p += b.copy(out, p);
        }
      }
    }
  }
  p = out.writeInt16BE(-1, p); // trailer
  return out.subarray(0, p);
}

/** `COPY table (cols) FROM STDIN (FORMAT binary)` for these columns. */
export function binaryCopySql<R>(table: string, columns: ReadonlyArray<BinaryColumn<R>>): string {
  return `COPY ${table} (${columns.map((c) => `"${c.name}"`).join(', ')}) FROM STDIN (FORMAT binary)`;
}

// ───────────────────────────── transactions ─────────────────────────────

/** BEGIN … COMMIT on one pool client (ROLLBACK when `fn` throws); the client goes back to the pool either way. */
export async function withClientTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e;
  } finally {
    client.release();
  }
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
  if (db.pool) return withClientTransaction(db.pool, (client) => fn((sql, params) => client.query(sql, params)));
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
