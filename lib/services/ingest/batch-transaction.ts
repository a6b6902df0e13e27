// The batch's transaction and the records around it: one transaction per batch on either runtime,
// the source a batch names, and whether a committed batch already had the same body.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { QueryOptions, Results } from '@electric-sql/pglite';
import { copyFromBlobSql, withClientTransaction, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import type { CopyIn } from '../evidence/writer.ts';

/** What the earlier batches that had a body kept: from when, plain ok requests and notable ones (null: not recorded). */
export interface RepeatedBatch {
  id: string;
  keptFrom: { plainMs: number; notableMs: number } | null;
}

/**
 * The committed batch of the same source and format that had exactly this body (SHA-256 as
 * received), read with the same log format (an owner who fixes their gateway configuration and
 * sends the same file again must get its lines read with the new one); null when there is none.
 * Of several, what they kept together: from the earliest of each's kept times (a batch from before
 * these were recorded kept, as far as anyone knows, everything).
 */
export async function repeatedBatch(exec: SqlExecutor, b: { contentSha256: string; sourceId: string | null; format: string; batchId: string; logFormatSha256: string | null }): Promise<RepeatedBatch | null> {
  const { rows } = await exec(
    `SELECT id::text AS id, "keptFrom", "notableKeptFrom" FROM "IngestBatch" WHERE "contentSha256" = $1 AND state = 'committed' AND format = $2
        AND "sourceId" IS NOT DISTINCT FROM $3::uuid AND id <> $4::uuid AND accepted > 0
        AND "logFormatSha256" IS NOT DISTINCT FROM $5::text ORDER BY "startedAt" LIMIT 20`,
    [b.contentSha256, b.format, b.sourceId, b.batchId, b.logFormatSha256],
  );
  const found = rows as Array<{ id: string; keptFrom: Date | string | null; notableKeptFrom: Date | string | null }>;
  if (!found.length) return null;
  if (found.some((r) => r.keptFrom === null || r.notableKeptFrom === null)) return { id: found[0]!.id, keptFrom: null };
  const ms = (v: Date | string | null) => new Date(v!).getTime();
  return {
    id: found[0]!.id,
    keptFrom: { plainMs: Math.min(...found.map((r) => ms(r.keptFrom))), notableMs: Math.min(...found.map((r) => ms(r.notableKeptFrom))) },
  };
}

/**
 * Whether this batch kept a request the earlier batches with its body refused as past retention (an
 * evidence hold reaches back now, or retention is longer). A repeat stores nothing, and those lines
 * cannot be told from the rest of it, so such a batch is refused whole (repeatRefusedLinesError).
 */
export function keptWhatRepeatRefused(earlier: RepeatedBatch, oldestKept: { plainMs: number; notableMs: number }): boolean {
  return earlier.keptFrom !== null && (oldestKept.plainMs < earlier.keptFrom.plainMs || oldestKept.notableMs < earlier.keptFrom.notableMs);
}

/**
 * The batch refused whole (409) because it kept what its earlier repeat refused: names what to send
 * instead — the lines from before the earlier batch's kept times, alone (none of them was stored;
 * everything else of the body was).
 */
export function repeatRefusedLinesError(earlier: RepeatedBatch): HoldfastError {
  const k = earlier.keptFrom!;
  const plain = new Date(k.plainMs).toISOString();
  const notable = new Date(k.notableMs).toISOString();
  const lines = plain === notable ? `its lines dated before ${plain}` : `its ok requests dated before ${plain} and failures before ${notable}`;
  return new HoldfastError(
    'conflict',
    `this body repeats batch ${earlier.id}, which refused ${lines} as past retention; they would be kept now (an evidence hold reaches back, or retention is longer), so nothing of this body is stored: send those lines alone (the rest is stored already)`,
    { reason: 'repeat_with_refused_lines', batchId: earlier.id, refusedBefore: { ok: plain, notable } },
  );
}

/** COPY on PGlite: the payload handed over as the Blob its `/dev/blob` reads. */
function pgliteCopy(query: (sql: string, params: unknown[], options: QueryOptions) => Promise<Results<unknown>>): CopyIn {
  return async (sql, payload) => (await query(copyFromBlobSql(sql), [], { blob: new Blob([payload as Uint8Array<ArrayBuffer> | string]) })).affectedRows ?? 0;
}

/**
 * One transaction for the whole batch on either runtime, with COPY (PGlite: its own
 * transaction, which also holds other callers off, COPY from a Blob; PostgreSQL: one pool client
 * from BEGIN to COMMIT, COPY … FROM STDIN).
 */
export async function withBatchTransaction<T>(db: Database, fn: (exec: SqlExecutor, copy: CopyIn | null) => Promise<T>): Promise<T> {
  // PGlite: GET requests' reads are served between the batch's statements (lib/db/read-gate.ts).
  if (db.readGate) return db.readGate.transaction((query) => fn((sql, params) => query(sql, params), pgliteCopy(query)));
  if (db.pglite) return db.pglite.transaction((tx) => fn((sql, params) => tx.query(sql, params), pgliteCopy((sql, params, options) => tx.query(sql, params, options))));
  if (!db.pool) throw new Error('ingest needs a PGlite or PostgreSQL database');
  return withClientTransaction(db.pool, (client) =>
    fn(
      (sql, params) => client.query(sql, params),
      async (sql, text) => {
        const stream = client.query(copyStreams.from(sql));
        await pipeline(Readable.from([text]), stream);
        return stream.rowCount;
      },
    ),
  );
}

/**
 * The id of the named source, created if new — in its own short statement, outside the batch:
 * an upsert inside the batch would hold the source's row until COMMIT, and every batch of a
 * gateway names the same source, so its batches would run one at a time. (DO NOTHING takes no
 * lock on an existing row; a source left by a failed batch is just a name, and the failed
 * batch's record points at it.)
 */
export async function ensureSource(db: Database, name: string, format: string): Promise<string> {
  await db.query(`INSERT INTO "Source" (name, format) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, [name, format]);
  const rows = await db.query<{ id: string }>(`SELECT id::text AS id FROM "Source" WHERE name = $1`, [name]);
  const id = rows[0]?.id;
  if (!id) throw new Error(`source "${name}" vanished while ingesting`);
  return id;
}
