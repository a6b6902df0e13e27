import { describe, expect, it } from 'vitest';
import { openDatabase } from './open.ts';
import { allowingReadsDuringBatch, isReadOnlySql } from './read-gate.ts';

describe('isReadOnlySql', () => {
  it.each([
    ['SELECT 1', true],
    ['  -- a comment\n select count(*) from "Token"', true],
    ['WITH x AS (SELECT 1) SELECT * FROM x', true],
    ["SELECT 'insert into t' AS text", true],
    ['/* lead */ SELECT * FROM "Token" WHERE id = $1', true],
    ['INSERT INTO t VALUES (1)', false],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', false],
    ['SELECT * FROM t FOR UPDATE', false],
    ['SELECT * FROM t FOR NO KEY UPDATE', false],
    ['SELECT nextval(\'s\')', false],
    ['SELECT pg_advisory_xact_lock(1)', false],
    ['SELECT set_config(\'a\', \'b\', true)', false],
    ['UPDATE t SET a = 1', false],
    ['BEGIN', false],
  ])('%s → %s', (sql, ok) => expect(isReadOnlySql(sql)).toBe(ok));
});

describe('reads during an embedded batch (PGlite)', () => {
  async function setUp() {
    const db = await openDatabase({ kind: 'memory' });
    await db.pglite!.exec('CREATE TABLE t (n int)');
    let release!: () => void;
    const paused = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const afterInsert = new Promise<void>((r) => (inserted = r));
    const order: string[] = [];
    const batch = db.readGate!.transaction(async (query) => {
      await query('INSERT INTO t SELECT g FROM generate_series(1, 5) g');
      inserted();
      await paused;
      await query('INSERT INTO t VALUES (6)');
      order.push('batch done');
    });
    await afterInsert;
    return { db, release, batch, order };
  }

  it('serves a GET request’s read between the batch’s statements, seeing the batch so far', async () => {
    const { db, release, batch, order } = await setUp();
    const read = allowingReadsDuringBatch(() => db.query<{ n: number }>('SELECT count(*)::int AS n FROM t'));
    const rows = await read; // the batch is still paused: only a served read can answer
    order.push('read answered');
    expect(rows[0]!.n).toBe(5);
    // Prisma's engine does not keep the caller's async context, so its reads wait for the commit
    // (the reads every request makes — session, API key — are raw SQL for that reason).
    const viaPrisma = allowingReadsDuringBatch(() => db.prisma.$queryRawUnsafe<Array<{ n: number }>>('SELECT count(*)::int AS n FROM t'));
    release();
    expect((await viaPrisma)[0]!.n).toBe(6);
    await batch;
    expect(order).toEqual(['read answered', 'batch done']);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t'))[0]!.n).toBe(6);
    await db.close();
  });

  it('keeps everything else waiting for the commit: unmarked reads and marked writes', async () => {
    const { db, release, batch, order } = await setUp();
    const unmarked = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t').then((r) => (order.push('unmarked read'), r));
    const write = allowingReadsDuringBatch(() => db.query('INSERT INTO t VALUES (100)')).then(() => order.push('marked write'));
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([]);
    release();
    await batch;
    const [after] = await unmarked;
    await write;
    expect(order[0]).toBe('batch done');
    expect(after!.n).toBe(6); // it saw only the committed batch
    await db.close();
  });

  it('a served read that fails fails alone; the batch commits whole', async () => {
    const { db, release, batch } = await setUp();
    await expect(allowingReadsDuringBatch(() => db.query('SELECT 1 / 0'))).rejects.toThrow(/division by zero/);
    release();
    await batch;
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t'))[0]!.n).toBe(6);
    await db.close();
  });

  it('a batch that fails rolls back whole, and a read waiting on it is answered after', async () => {
    const db = await openDatabase({ kind: 'memory' });
    await db.pglite!.exec('CREATE TABLE t (n int)');
    const failed = db.readGate!.transaction(async (query) => {
      await query('INSERT INTO t VALUES (1)');
      await query('INSERT INTO t VALUES (1 / 0)').catch(() => undefined); // the transaction is now aborted
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('batch failed');
    });
    await new Promise((r) => setTimeout(r, 5));
    const read = allowingReadsDuringBatch(() => db.query<{ n: number }>('SELECT count(*)::int AS n FROM t'));
    await expect(failed).rejects.toThrow('batch failed');
    expect((await read)[0]!.n).toBe(0);
    await db.close();
  });
});
