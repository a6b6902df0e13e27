import type { HoldfastConfig } from '../config.ts';
import type { DbTarget } from './open.ts';

/**
 * shared_buffers for a short-lived process that reads or makes small writes (most CLI commands).
 * PGlite's start grows with shared_buffers (postgres sets its shared memory up at every start, in
 * WASM): on a quiet machine with a 41 MB data directory the open took ≈ 950 ms at PGlite's 128MB, ≈ 600–650 ms at 32MB (≈ 580 ms at 16MB).
 * Bulk writers keep the default: the in-memory ingest bench ran 12,258 events/s at 128MB against
 * 9,677 at 16MB, so `ingest`, `seed` and the server (lib/server) never pass this.
 */
export const SHORT_LIVED_SHARED_BUFFERS = '32MB';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite directory. */
export function dbTargetFromConfig(cfg: Pick<HoldfastConfig, 'databaseUrl' | 'dataDir'>): DbTarget {
  return cfg.databaseUrl ? { kind: 'postgres', url: cfg.databaseUrl } : { kind: 'pglite', dataDir: cfg.dataDir };
}
