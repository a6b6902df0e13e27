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

/**
 * V8's WebAssembly tiering budget for the same short-lived starts (V8's default is 1,800,000). With
 * the default, V8 re-compiles the hot functions of PGlite's start-up with its optimising compiler on
 * background threads — a second of CPU that a command ending a second later never uses. Measured
 * (`npm run bench -- cli-start`, quiet 2-core machine): `holdfast user list` on a 41 MB data
 * directory took 2.82 s of CPU with the default, 1.73 s with this budget, 1.50 s with no optimising
 * at all (`--liftoff-only`); code that keeps running hot (a long `simulate` or `export`) still
 * reaches the optimising compiler, which --liftoff-only would forbid.
 */
export const SHORT_LIVED_WASM_TIERING_BUDGET = 1_000_000_000;

/** V8 flags a process about to open `target` sets for itself: none unless it is a short-lived embedded start, or the operator chose a tiering flag on node's command line. */
export function shortLivedV8Flags(target: DbTarget, execArgv: readonly string[]): string[] {
  if (target.kind !== 'pglite' || !target.sharedBuffers) return [];
  if (execArgv.some((a) => /^--(no-)?(wasm-tiering-budget|liftoff-only|liftoff|wasm-tier-up|wasm-dynamic-tiering)(=|$)/.test(a))) return [];
  return [`--wasm-tiering-budget=${SHORT_LIVED_WASM_TIERING_BUDGET}`];
}

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite directory. */
export function dbTargetFromConfig(cfg: Pick<HoldfastConfig, 'databaseUrl' | 'dataDir'>): DbTarget {
  return cfg.databaseUrl ? { kind: 'postgres', url: cfg.databaseUrl } : { kind: 'pglite', dataDir: cfg.dataDir };
}
