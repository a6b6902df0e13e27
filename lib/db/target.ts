import type { HoldfastConfig } from '../config.ts';
import type { DbTarget } from './open.ts';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite directory. */
export function dbTargetFromConfig(cfg: Pick<HoldfastConfig, 'databaseUrl' | 'dataDir'>): DbTarget {
  return cfg.databaseUrl ? { kind: 'postgres', url: cfg.databaseUrl } : { kind: 'pglite', dataDir: cfg.dataDir };
}
