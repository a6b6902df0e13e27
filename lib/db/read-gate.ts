// Reads that answer while an embedded ingest batch runs (issue #14 item 7). PGlite has one
// connection: a batch's transaction holds it until it commits, so every other query waited — a
// 300,000-line batch made sign-in take 11 s. The gate lets the batch serve waiting reads between
// its own statements, inside its transaction under a savepoint: the batch stays all or nothing,
// and a read that fails is rolled back to its savepoint without touching the batch.
//
// Which reads: only those made while handling a GET or HEAD request (the server marks them with
// allowingReadsDuringBatch), and only plain SELECT / WITH … SELECT statements. Such a read sees the
// batch's rows written so far — a dashboard figure may count a batch that is still arriving (and,
// if that batch then fails, showed rows that never committed until the next refresh). Everything
// else waits for the commit as before: writes, reads of other writers (an ingest's own repeat
// check must never take an unfinished batch for a stored one), background jobs and exports.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { PGlite, QueryOptions, Results, Transaction } from '@electric-sql/pglite';

// One instance per process, shared through globalThis like the database handle: the Next.js bundle
// carries its own copies of lib modules.
const servedDuringBatch = ((globalThis as Record<symbol, unknown>)[Symbol.for('holdfast.readsDuringBatch')] ??= new AsyncLocalStorage<true>()) as AsyncLocalStorage<true>;

/** Runs `fn` as a reader that may be answered from inside a running embedded batch. */
export function allowingReadsDuringBatch<T>(fn: () => T): T {
  return servedDuringBatch.run(true, fn);
}

const WRITES = /\b(insert|update|delete|merge|create|drop|alter|truncate|lock|copy|call|grant|revoke|vacuum|analyze|refresh|listen|notify|nextval|setval|pg_advisory\w*|set_config|for\s+(?:no\s+key\s+)?(?:update|share|key\s+share))\b/i;

/** A statement that only reads: SELECT or WITH, and nothing that writes, locks or changes a setting. */
export function isReadOnlySql(sql: string): boolean {
  const s = sql.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ').trimStart();
  if (!/^(select|with)\b/i.test(s)) return false;
  return !WRITES.test(s.replace(/'(?:[^']|'')*'/g, "''"));
}

type Query = PGlite['query'];

/** After a served read, how long the batch waits for the same page's next statement. */
const READ_GRACE_MS = 25;
/** The longest the batch is held back by reads before it gets its next statement. */
const READ_HOLD_MAX_MS = 400;

/**
 * Turns on the batch's transaction, one statement at a time. Reads go first: a page makes several
 * statements one after another, and taking turns FIFO made each of them wait for one batch
 * statement (~100–400 ms for a 5,000-line chunk) — seconds per page. So once a read has been
 * served the batch waits until no read has come for READ_GRACE_MS, but never longer than
 * READ_HOLD_MAX_MS at a time, so a stream of reads cannot stall the batch.
 */
export class ReadFirstTurns {
  private running = false;
  private readonly reads: Array<() => void> = [];
  private readonly batch: Array<() => void> = [];
  private lastReadEndedAt = -Infinity;
  private holdStartedAt: number | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly graceMs = READ_GRACE_MS,
    private readonly holdMaxMs = READ_HOLD_MAX_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async run<T>(kind: 'read' | 'batch', fn: () => Promise<T>): Promise<T> {
    // PGlite answers through promises alone, and the batch parses its next chunk synchronously, so
    // without this the batch is one unbroken chain of microtasks: the server never polls its
    // sockets, and a page's request is not even read until the batch happens to wait on I/O
    // (measured: 1–3 s per page though every served statement waited 0 ms for its turn).
    if (kind === 'batch') await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((resolve) => {
      (kind === 'read' ? this.reads : this.batch).push(resolve);
      this.dispatch();
    });
    try {
      return await fn();
    } finally {
      if (kind === 'read') this.lastReadEndedAt = this.clock();
      this.running = false;
      this.dispatch();
    }
  }

  private dispatch(): void {
    if (this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.clock();
    const held = this.holdStartedAt === null ? 0 : now - this.holdStartedAt;
    if (this.reads.length && (held < this.holdMaxMs || !this.batch.length)) {
      this.holdStartedAt ??= now;
      return this.start(this.reads.shift()!);
    }
    if (!this.batch.length) return;
    const quietFor = now - this.lastReadEndedAt;
    if (quietFor < this.graceMs && held < this.holdMaxMs) {
      this.timer = setTimeout(() => this.dispatch(), Math.min(this.graceMs - quietFor, this.holdMaxMs - held));
      return;
    }
    this.holdStartedAt = null;
    this.start(this.batch.shift()!);
  }

  private start(go: () => void): void {
    this.running = true;
    go();
  }
}

export class PgliteReadGate {
  private tx: Transaction | null = null;
  private readonly turns = new ReadFirstTurns();
  private readonly direct: Query;

  constructor(private readonly pglite: PGlite) {
    this.direct = pglite.query.bind(pglite) as Query;
    // Every caller of pglite.query (ours and Prisma's adapter) comes through here.
    pglite.query = (<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> => {
      if (this.tx && servedDuringBatch.getStore() && isReadOnlySql(sql)) return this.serve<T>(sql, params, options);
      return this.direct<T>(sql, params, options);
    }) as Query;
  }

  /**
   * The batch's transaction: `fn` gets a query function for the batch's own statements; reads
   * waiting meanwhile are served between them.
   */
  transaction<T>(fn: (query: <R>(sql: string, params?: unknown[], options?: QueryOptions) => Promise<Results<R>>) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (tx) => {
      this.tx = tx;
      try {
        return await fn((sql, params, options) => this.turns.run('batch', () => tx.query(sql, params, options)));
      } finally {
        // No served read may still be using the transaction when it commits or rolls back.
        await this.turns.run('batch', async () => {
          this.tx = null;
        });
      }
    });
  }

  private async serve<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    const AFTER_BATCH = Symbol('after batch');
    const r = await this.turns.run('read', async (): Promise<Results<T> | typeof AFTER_BATCH> => {
      const tx = this.tx;
      if (!tx) return AFTER_BATCH;
      try {
        await tx.exec('SAVEPOINT holdfast_read');
      } catch {
        // The batch's transaction has failed and is about to roll back: read after it.
        return AFTER_BATCH;
      }
      try {
        const rows = await tx.query<T>(sql, params, options);
        await tx.exec('RELEASE SAVEPOINT holdfast_read');
        return rows;
      } catch (e) {
        await tx.exec('ROLLBACK TO SAVEPOINT holdfast_read; RELEASE SAVEPOINT holdfast_read');
        throw e;
      }
    });
    // Outside the turn, so the batch can finish: PGlite runs this once its transaction has ended.
    return r === AFTER_BATCH ? this.direct<T>(sql, params, options) : r;
  }
}
