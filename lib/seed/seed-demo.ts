// `holdfast seed --demo` and the first `npm start` on an empty embedded database.
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { generateDemoEstate } from './demo-estate.ts';
import { withTransaction } from '../db/bulk.ts';
import { EvidenceWriter } from '../services/evidence/writer.ts';
import { insertEstate, type SeedCounts } from './write-estate.ts';

export interface SeedDemoOptions {
  /** Same seed, same estate. */
  seed?: number | string;
  /** Events fall in the 30 days before it; defaults to the current time. */
  now?: Date;
  chunkSize?: number;
}

export const DEFAULT_DEMO_SEED = 42;

/** Postgres unique_violation: a concurrent seed got there first. */
const UNIQUE_VIOLATION = '23505';

/**
 * Loads the demo estate into an empty database. Refuses with `conflict` when the database
 * already holds identities (a demo on top of real data, or a second seed, would mix them);
 * nothing is written in that case.
 */
export async function seedDemo(db: Database, options: SeedDemoOptions = {}): Promise<SeedCounts> {
  const estate = generateDemoEstate({ seed: options.seed ?? DEFAULT_DEMO_SEED, now: options.now ?? new Date() });
  try {
    return await withTransaction(db, async (exec) => {
      // Checked inside the transaction so the answer and the write belong together.
      const { rows } = await exec('SELECT count(*)::int AS n FROM "Identity"', []);
      const n = Number((rows[0] as { n?: unknown } | undefined)?.n ?? 0);
      if (n > 0) {
        throw new HoldfastError(
          'conflict',
          `the database already holds ${n} identities; the demo estate loads only into an empty database`,
          { identities: n },
        );
      }
      return insertEstate(db, exec, estate, { chunkSize: options.chunkSize });
    });
  } catch (e) {
    EvidenceWriter.rolledBack(db);
    if ((e as { code?: unknown }).code === UNIQUE_VIOLATION) {
      throw new HoldfastError('conflict', 'the demo estate (or part of it) is already present; nothing was written');
    }
    throw e;
  }
}
