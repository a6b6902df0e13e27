// The batch's transaction and the records around it: one transaction per batch on either runtime,
// the source a batch names, and whether a committed batch already had the same body.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import copyStreams from 'pg-copy-streams';
import type { QueryOptions, Results } from '@electric-sql/pglite';
import { copyFromBlobSql, withClientTransaction, type SqlExecutor } from '../../db/bulk.ts';
import type { Database } from '../../db/open.ts';
import type { CopyIn } from '../evidence/writer.ts';

/**
 * Whether a committed batch of the same source and format had exactly this body (SHA-256 as
 * received), read with the same log format: an owner who fixes their gateway configuration and
 * sends the same file again must get its lines read with the new one.
 */
export async function repeatsCommittedBatch(exec: SqlExecutor, b: { contentSha256: string; sourceId: string | null; format: string; batchId: string; logFormatSha256: string | null }): Promise<boolean> {
  const { rows } = await exec(
    `SELECT 1 FROM "IngestBatch" WHERE "contentSha256" = $1 AND state = 'committed' AND format = $2
        AND "sourceId" IS NOT DISTINCT FROM $3::uuid AND id <> $4::uuid AND accepted > 0
        AND "logFormatSha256" IS NOT DISTINCT FROM $5::text LIMIT 1`,
    [b.contentSha256, b.format, b.sourceId, b.batchId, b.logFormatSha256],
  );
  return rows.length > 0;
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
