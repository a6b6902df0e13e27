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

/** One FIFO lock: the batch's statements and the reads it serves take turns on its transaction. */
class TurnLock {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export class PgliteReadGate {
  private tx: Transaction | null = null;
  private readonly turns = new TurnLock();
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
  transaction<T>(fn: (query: <R>(sql: string, params?: unknown[]) => Promise<Results<R>>) => Promise<T>): Promise<T> {
    return this.pglite.transaction(async (tx) => {
      this.tx = tx;
      try {
        return await fn((sql, params) => this.turns.run(() => tx.query(sql, params)));
      } finally {
        // No served read may still be using the transaction when it commits or rolls back.
        await this.turns.run(async () => {
          this.tx = null;
        });
      }
    });
  }

  private async serve<T>(sql: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> {
    const AFTER_BATCH = Symbol('after batch');
    const r = await this.turns.run(async (): Promise<Results<T> | typeof AFTER_BATCH> => {
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
