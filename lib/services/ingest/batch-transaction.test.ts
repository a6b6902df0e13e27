// The batch transaction's COPY on both runtimes: PostgreSQL's COPY … FROM STDIN, PGlite's COPY from
// a Blob (its `/dev/blob`). Rows arrive whole, and a key stored already fails the COPY with the
// unique-violation code the evidence writer falls back on (23505), inside a savepoint the batch
// survives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaryCopyPayload, binaryCopySql, copyFromBlobSql, type BinaryColumn } from '../../db/bulk.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { withBatchTransaction } from './batch-transaction.ts';

const IN_CI = process.env.CI === 'true';

interface Row {
  k: number;
  at: number;
  id: string | null;
  bytes: Uint8Array | null;
  note: string | null;
}
const cols: BinaryColumn<Row>[] = [
  { name: 'k', type: 'int4', get: (r) => r.k },
  { name: 'at', type: 'timestamptz', get: (r) => r.at },
  { name: 'id', type: 'uuid', get: (r) => r.id },
  { name: 'bytes', type: 'bytea', get: (r) => r.bytes },
  { name: 'note', type: 'text', get: (r) => r.note },
];
const rows = (from: number, n: number): Row[] =>
  Array.from({ length: n }, (_, i) => ({
    k: from + i, at: Date.UTC(2026, 11, 7, 3, 0, 0, i), id: i % 3 ? '0f8fad5b-d9cb-469f-a165-70867728950e' : null,
    bytes: i % 2 ? Uint8Array.from([i & 255, 0, 255]) : null, note: i % 5 ? `line ${i} ü` : null,
  }));

describe('copyFromBlobSql', () => {
  it("reads the same COPY from PGlite's /dev/blob, and refuses anything else", () => {
    expect(copyFromBlobSql(binaryCopySql('"evidence"."Request"', cols))).toBe(`COPY "evidence"."Request" ("k", "at", "id", "bytes", "note") FROM '/dev/blob' (FORMAT binary)`);
    expect(() => copyFromBlobSql('SELECT 1')).toThrow(/not a COPY/);
  });
});

for (const runtime of RUNTIMES) {
  describe(`withBatchTransaction COPY on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      await t.db.query(`CREATE TABLE copy_t (k int4 PRIMARY KEY, at timestamptz(3), id uuid, bytes bytea, note text)`);
    });
    afterAll(async () => t?.drop());

    it('copies every row, and a stored key fails the COPY with 23505 inside a savepoint the batch survives', async (ctx) => {
      if (!t) return ctx.skip();
      const first = rows(0, 2_500);
      const outcome = await withBatchTransaction(t.db, async (exec, copy) => {
        expect(copy).not.toBeNull();
        await copy!(binaryCopySql('copy_t', cols), binaryCopyPayload(cols, first));
        await exec('SAVEPOINT s', []);
        let code: string | undefined;
        try {
          await copy!(binaryCopySql('copy_t', cols), binaryCopyPayload(cols, rows(2_499, 10)));
        } catch (e) {
          code = (e as { code?: string }).code;
          await exec('ROLLBACK TO SAVEPOINT s', []);
        }
        await copy!(binaryCopySql('copy_t', cols), binaryCopyPayload(cols, rows(2_500, 10)));
        return code;
      });
      expect(outcome).toBe('23505');
      const got = await t.db.query<{ n: number; k: number; at: Date; id: string | null; bytes: string | null; note: string | null }>(
        `SELECT count(*) OVER ()::int AS n, k, at, id::text AS id, encode(bytes, 'hex') AS bytes, note FROM copy_t ORDER BY k`,
      );
      expect(got).toHaveLength(2_510);
      expect(got[2_509]!.k).toBe(2_509);
      const r = got[7]!;
      expect({ id: r.id, bytes: r.bytes, note: r.note, at: new Date(r.at).toISOString() }).toEqual({
        id: '0f8fad5b-d9cb-469f-a165-70867728950e', bytes: '0700ff', note: 'line 7 ü', at: '2026-12-07T03:00:00.007Z',
      });
      expect([got[0]!.id, got[0]!.bytes, got[0]!.note]).toEqual([null, null, null]);
    });
  });
}
