import { describe, expect, it } from 'vitest';
import { openDatabase } from './open.ts';
import { allowingReadsDuringBatch, isReadOnlySql, ReadFirstTurns } from './read-gate.ts';

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
    let aborted!: () => void;
    const isAborted = new Promise<void>((r) => (aborted = r));
    const failed = db.readGate!.transaction(async (query) => {
      await query('INSERT INTO t VALUES (1)');
      await query('INSERT INTO t VALUES (1 / 0)').catch(() => undefined); // the transaction is now aborted
      aborted();
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('batch failed');
    });
    await isAborted;
    const read = allowingReadsDuringBatch(() => db.query<{ n: number }>('SELECT count(*)::int AS n FROM t'));
    await expect(failed).rejects.toThrow('batch failed');
    expect((await read)[0]!.n).toBe(0);
    await db.close();
  });
});

describe('turns on the batch transaction: reads first, the batch never stalled', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** A statement that takes `ms` and records when it ran. */
  const statement = (log: string[], name: string, ms: number) => async () => {
    log.push(`${name} start`);
    await sleep(ms);
    log.push(`${name} end`);
  };

  it('a read queued behind a running batch statement goes before the batch’s next one', async () => {
    const turns = new ReadFirstTurns(0, 1000);
    const log: string[] = [];
    const b1 = turns.run('batch', statement(log, 'b1', 30));
    const b2 = turns.run('batch', statement(log, 'b2', 5));
    await sleep(5);
    const r1 = turns.run('read', statement(log, 'r1', 5));
    await Promise.all([b1, b2, r1]);
    expect(log).toEqual(['b1 start', 'b1 end', 'r1 start', 'r1 end', 'b2 start', 'b2 end']);
  });

  it('after a read the batch waits for the page’s next statement (grace), so a page is not interleaved with the batch', async () => {
    const turns = new ReadFirstTurns(60, 1000);
    const log: string[] = [];
    // A page: three statements with a little JavaScript between them.
    const page = (async () => {
      for (const n of [1, 2, 3]) {
        await turns.run('read', statement(log, `r${n}`, 5));
        await sleep(10);
      }
    })();
    await sleep(1);
    const b = turns.run('batch', statement(log, 'b', 5));
    await Promise.all([page, b]);
    expect(log).toEqual(['r1 start', 'r1 end', 'r2 start', 'r2 end', 'r3 start', 'r3 end', 'b start', 'b end']);
  });

  it('a stream of reads holds the batch back at most the hold limit before it gets a statement', async () => {
    const turns = new ReadFirstTurns(50, 80);
    const log: string[] = [];
    let reading = true;
    const reads = (async () => {
      for (let n = 0; reading && n < 200; n++) await turns.run('read', statement(log, `r${n}`, 5));
    })();
    await sleep(2);
    const t0 = performance.now();
    await turns.run('batch', statement(log, 'b', 1));
    const waited = performance.now() - t0;
    reading = false;
    await reads;
    expect(waited).toBeGreaterThanOrEqual(70);
    expect(waited).toBeLessThan(400);
    expect(log.indexOf('b start')).toBeGreaterThan(0);
  });

  it('with no reads the batch runs straight on; a lone batch statement never waits', async () => {
    const turns = new ReadFirstTurns(1000, 5000);
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) await turns.run('batch', async () => undefined);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});
