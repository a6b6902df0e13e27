// The one bulk-SQL module: the unnest path on both runtimes, the binary COPY encoder against a
// real PostgreSQL, and the same mapping of values PostgreSQL cannot hold on every path.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { binaryCopyPayload, binaryCopySql, bulkInsert, cellText, type BinaryColumn, type BulkColumn } from './bulk.ts';

interface Row {
  t: string | null;
  n: number | null;
  at: Date | null;
  tags: string[];
  b: boolean;
}

const columns: BulkColumn<Row>[] = [
  { name: 't', type: 'text', get: (r) => r.t },
  { name: 'n', type: 'int4', get: (r) => r.n },
  { name: 'at', type: 'timestamptz', get: (r) => r.at },
  { name: 'tags', type: 'text[]', get: (r) => r.tags },
  { name: 'b', type: 'bool', get: (r) => r.b },
];

describe('cellText', () => {
  it.each([
    ['NUL in text becomes U+FFFD', 'a\0b', 'a\uFFFDb'],
    ['NaN is NULL', Number.NaN, null],
    ['Infinity is NULL', Number.POSITIVE_INFINITY, null],
    ['an invalid date is NULL', new Date('nope'), null],
    ['a date is ISO 8601', new Date(Date.UTC(2026, 11, 4)), '2026-12-04T00:00:00.000Z'],
    ['NUL inside an array element becomes U+FFFD', ['x\0'], 'x\uFFFD'],
    ['booleans are t/f', false, 'f'],
  ])('%s', (_name, value, expected) => {
    expect(cellText(value as never)).toBe(expected);
  });
});

describe.each(RUNTIMES)('bulkInsert on %s', (runtime) => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    await t.db.query(`CREATE TABLE bulk_t (t text, n int4, at timestamptz, tags text[], b bool)`);
  });
  afterAll(async () => t?.drop());

  it('writes values PostgreSQL cannot hold as the mapping says, and an empty array as {}', async () => {
    if (!t) return;
    await bulkInsert((sql, p) => t!.db.query(sql, p).then((rows) => ({ rows })), 'bulk_t', columns, [
      { t: 'nul\0here', n: Number.NaN, at: new Date('bad'), tags: [], b: true },
      { t: null, n: 7, at: new Date(Date.UTC(2026, 0, 2)), tags: ['a', 'b'], b: false },
    ]);
    const rows = await t.db.query<{ t: string | null; n: number | null; at: Date | null; tags: string[]; b: boolean }>(`SELECT * FROM bulk_t ORDER BY n NULLS FIRST`);
    expect(rows[0]).toMatchObject({ t: 'nul\uFFFDhere', n: null, at: null, tags: [], b: true });
    expect(rows[1]).toMatchObject({ t: null, n: 7, tags: ['a', 'b'], b: false });
    expect(new Date(rows[1]!.at!).toISOString()).toBe('2026-01-02T00:00:00.000Z');
  });
});

describe('binary COPY', () => {
  let t: TestDatabase | null = null;
  beforeAll(async () => {
    if (!(await postgresAvailable())) return;
    t = await openTestDatabase('postgres');
    await t.db.query(`CREATE TABLE copy_t (a int2, b int4, c int8, d bool, e timestamptz(3), f uuid, g bytea, h text)`);
  });
  afterAll(async () => t?.drop());

  interface R {
    a: number | null;
    b: number;
    c: number;
    d: boolean;
    e: number | Date;
    f: string | Uint8Array | null;
    g: Uint8Array | null;
    h: string | null;
  }
  const cols: BinaryColumn<R>[] = [
    { name: 'a', type: 'int2', get: (r) => r.a },
    { name: 'b', type: 'int4', get: (r) => r.b },
    { name: 'c', type: 'int8', get: (r) => r.c },
    { name: 'd', type: 'bool', get: (r) => r.d },
    { name: 'e', type: 'timestamptz', get: (r) => r.e },
    { name: 'f', type: 'uuid', get: (r) => r.f },
    { name: 'g', type: 'bytea', get: (r) => r.g },
    { name: 'h', type: 'text', get: (r) => r.h },
  ];

  it('round-trips every supported type through a real PostgreSQL, NULLs and NUL included', async () => {
    if (!t) return;
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const rows: R[] = [
      { a: -3, b: 2_000_000_000, c: 2 ** 40, d: true, e: Date.UTC(2026, 11, 4, 10, 0, 0, 123), f: uuid, g: Uint8Array.from([1, 0, 255]), h: 'héllo\0' },
      { a: null, b: -1, c: 0, d: false, e: new Date(Date.UTC(1999, 11, 31, 23, 59, 59)), f: uuid.replace(/-/g, ''), g: null, h: null },
      // int64 halves: negative values, one past 2^32, a time long before 2000; bytes that are a view into a larger buffer.
      { a: 7, b: -2, c: -(2 ** 40) - 5, d: true, e: Date.UTC(1970, 0, 1, 0, 0, 0, 1), f: uuid, g: Buffer.from([9, 9, 0xab, 0xcd, 9]).subarray(2, 4), h: 'ü€𝄞' },
      { a: 8, b: -3, c: 2 ** 32 + 1, d: false, e: Date.UTC(2262, 0, 1), f: null, g: new Uint8Array(0), h: '' },
    ];
    const client = await t.db.pool!.connect();
    try {
      const stream = client.query(copyStreams.from(binaryCopySql('copy_t', cols)));
      await pipeline(Readable.from([binaryCopyPayload(cols, rows)]), stream);
      expect(stream.rowCount).toBe(4);
    } finally {
      client.release();
    }
    const got = await t.db.query<Record<string, unknown>>(`SELECT a, b, c, d, e, f::text AS f, encode(g, 'hex') AS g, h FROM copy_t ORDER BY b DESC`);
    expect(got[0]).toMatchObject({ a: -3, b: 2_000_000_000, c: 2 ** 40, d: true, f: uuid, g: '0100ff', h: 'héllo\uFFFD' });
    expect(new Date(got[0]!.e as string).toISOString()).toBe('2026-12-04T10:00:00.123Z');
    expect(got[1]).toMatchObject({ a: null, b: -1, c: 0, d: false, f: uuid, g: null, h: null });
    expect(new Date(got[1]!.e as string).toISOString()).toBe('1999-12-31T23:59:59.000Z');
    expect(got[2]).toMatchObject({ a: 7, b: -2, c: -(2 ** 40) - 5, d: true, f: uuid, g: 'abcd', h: 'ü€𝄞' });
    expect(new Date(got[2]!.e as string).toISOString()).toBe('1970-01-01T00:00:00.001Z');
    expect(got[3]).toMatchObject({ a: 8, b: -3, c: 2 ** 32 + 1, d: false, f: null, g: '', h: '' });
    expect(new Date(got[3]!.e as string).toISOString()).toBe('2262-01-01T00:00:00.000Z');
  });

  it('refuses a value that is not a uuid instead of writing garbage', () => {
    expect(() => binaryCopyPayload(cols, [{ a: 1, b: 1, c: 1, d: true, e: 0, f: 'not-a-uuid', g: null, h: null }])).toThrow(/not a uuid/);
  });
});
