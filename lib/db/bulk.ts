// Set-based SQL for bulk writes, one module for every writer (ingest, evidence, demo seed).
//  - `INSERT … SELECT FROM unnest($1::text[], …)`: thousands of rows in one round trip and one
//    plan, on both runtimes. Every column travels as text and is cast in SQL: PGlite and
//    node-postgres serialise typed arrays differently (dates, booleans); text arrays they agree on.
//  - `COPY … FROM STDIN (FORMAT binary)` (PGlite: the same from a Blob, copyFromBlobSql): the fastest way in. Binary rows skip
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
  /** SQL type the text value is cast to: 'text', 'uuid', 'timestamptz', 'int4', 'int8', 'bool', 'text[]', '"Binding"', …; 'bytea:base64' decodes base64 text into bytea. */
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
  if (type === 'bytea:base64') return `decode(${ref}, 'base64')`;
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

/** Whether a value is written as NULL: none, a number that is not finite, an invalid Date. */
function isNullValue(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v)) || (v instanceof Date && Number.isNaN(v.getTime()));
}

/** Writes a whole number as a big-endian int64 (exact within ±2^53, which ms and µs timestamps are). */
function writeInt64(dv: DataView, n: number, p: number): void {
  const hi = Math.floor(n / 4294967296);
  dv.setInt32(p, hi);
  dv.setUint32(p + 4, n - hi * 4294967296);
}

/** A uuid's 16 bytes, kept per distinct string: a chunk names the same few thousand tokens and identities again and again. */
const uuidCache = new Map<string, Buffer>();

function uuidBuffer(v: string): Buffer {
  let b = uuidCache.get(v);
  if (b) return b;
  const hex = v.length === 36 ? v.slice(0, 8) + v.slice(9, 13) + v.slice(14, 18) + v.slice(19, 23) + v.slice(24) : v;
  if (!HEX.test(hex)) throw new Error(`not a uuid: ${v.slice(0, 40)}`);
  b = Buffer.from(hex, 'hex');
  if (uuidCache.size >= 100_000) uuidCache.clear();
  uuidCache.set(v, b);
  return b;
}

/**
 * Rows as one `COPY … FROM STDIN (FORMAT binary)` payload (header, tuples, trailer). Values are
 * checked for what the column can hold; text with NUL is mapped to U+FFFD as on the unnest path.
 * Each value is read once (the first pass keeps it and sizes the buffer exactly: one allocation);
 * text is encoded straight into the payload and bytes are copied once, from where they are.
 */
export function binaryCopyPayload<R>(columns: ReadonlyArray<BinaryColumn<R>>, rows: readonly R[]): Buffer {
  const nc = columns.length;
  const values: unknown[] = new Array(rows.length * nc);
  const types = columns.map((c) => c.type);
  // Per column, once: a lookup by a varying type name per value is a generic property lookup.
  const fixedSizes = types.map((t) => FIXED[t]);
  let size = SIGNATURE.length + 8 + 2;
  for (let i = 0, k = 0; i < rows.length; i++) {
    size += 2;
    const row = rows[i]!;
    for (let c = 0; c < nc; c++, k++) {
      let v: unknown = columns[c]!.get(row);
      size += 4;
      if (isNullValue(v)) {
        values[k] = null;
        continue;
      }
      const type = types[c]!;
      const fixed = fixedSizes[c]!;
      if (fixed >= 0) {
        if (type === 'uuid' && typeof v === 'string') v = uuidBuffer(v);
        size += fixed;
      } else if (type === 'bytea') {
        size += (v as Uint8Array).length;
      } else {
        let text = typeof v === 'string' ? v : String(v);
        if (text.includes('\0')) text = text.replaceAll('\0', '\uFFFD');
        v = text;
        size += Buffer.byteLength(text, 'utf8');
      }
      values[k] = v;
    }
  }
  const out = Buffer.allocUnsafe(size);
  // DataView writes are big-endian by default and cheaper per call than Buffer's checked writers.
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let p = SIGNATURE.copy(out, 0);
  dv.setInt32(p, 0); // flags
  dv.setInt32(p + 4, 0); // header extension length
  p += 8;
  for (let i = 0, k = 0; i < rows.length; i++) {
    dv.setInt16(p, nc);
    p += 2;
    for (let c = 0; c < nc; c++, k++) {
      const v = values[k];
      if (v === null) {
        dv.setInt32(p, -1);
        p += 4;
        continue;
      }
      switch (types[c]!) {
        case 'int2':
          dv.setInt32(p, 2);
          dv.setInt16(p + 4, v as number);
          p += 6;
          break;
        case 'int4':
          dv.setInt32(p, 4);
          dv.setInt32(p + 4, v as number);
          p += 8;
          break;
        case 'int8':
          dv.setInt32(p, 8);
          writeInt64(dv, Math.trunc(v as number), p + 4);
          p += 12;
          break;
        case 'bool':
          dv.setInt32(p, 1);
          dv.setUint8(p + 4, v ? 1 : 0);
          p += 5;
          break;
        case 'timestamptz': {
          const ms = v instanceof Date ? v.getTime() : (v as number);
          dv.setInt32(p, 8);
          writeInt64(dv, Math.round((ms - PG_EPOCH_MS) * 1000), p + 4);
          p += 12;
          break;
        }
        case 'uuid':
          dv.setInt32(p, 16);
          out.set((v as Uint8Array).subarray(0, 16), p + 4);
          p += 20;
          break;
        case 'bytea': {
          const b = v as Uint8Array;
          dv.setInt32(p, b.length);
          out.set(b, p + 4);
          p += 4 + b.length;
          break;
        }
        default: {
          // The length is written once the text is: utf8 bytes written = the size counted above.
          const n = out.write(v as string, p + 4, 'utf8');
          dv.setInt32(p, n);
          p += 4 + n;
        }
      }
    }
  }
  dv.setInt16(p, -1); // trailer
  p += 2;
  return out.subarray(0, p);
}

/** `COPY table (cols) FROM STDIN (FORMAT binary)` for these columns. */
export function binaryCopySql<R>(table: string, columns: ReadonlyArray<BinaryColumn<R>>): string {
  return `COPY ${table} (${columns.map((c) => `"${c.name}"`).join(', ')}) FROM STDIN (FORMAT binary)`;
}

/**
 * The same COPY reading its payload from PGlite's `/dev/blob`: PGlite has no COPY … FROM STDIN
 * protocol, it reads a Blob handed over with the query. Binary COPY there takes ~4× the rows per
 * second of the unnest INSERT every column travels through as text.
 */
export function copyFromBlobSql(stdinSql: string): string {
  const at = stdinSql.lastIndexOf(' FROM STDIN ');
  if (!stdinSql.startsWith('COPY ') || at < 0) throw new Error(`not a COPY … FROM STDIN statement: ${stdinSql.slice(0, 60)}`);
  return `${stdinSql.slice(0, at)} FROM '/dev/blob' ${stdinSql.slice(at + ' FROM STDIN '.length)}`;
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
