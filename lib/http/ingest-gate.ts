// Back-pressure for POST /api/v1/ingest: a request budget per API key and per client address
// (fixed one-minute windows), and a cap on ingest batches running at once in this process.
// Everything is decided before the body is read or a transaction opens, so a refused request
// leaves nothing behind: the client gets 429 + Retry-After and sends the same batch again.
// The budgets are shared by every instance (counted in the database); the in-flight cap is this
// instance's own capacity.
import { readSetting, type Env } from '../config.ts';
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { createSharedRateLimiter } from './shared-rate-limit.ts';

export interface IngestGateConfig {
  /** Ingest requests per minute per API key (or per user session). */
  perKeyPerMinute: number;
  /** Ingest requests per minute per client address. */
  perIpPerMinute: number;
  /** Batches in flight at once in this process. */
  maxConcurrent: number;
}

export const DEFAULT_INGEST_GATE: IngestGateConfig = { perKeyPerMinute: 600, perIpPerMinute: 1200, maxConcurrent: 4 };

export function ingestGateConfig(env?: Env): IngestGateConfig {
  return {
    perKeyPerMinute: readSetting('HOLDFAST_INGEST_RATE_PER_KEY', env) ?? DEFAULT_INGEST_GATE.perKeyPerMinute,
    perIpPerMinute: readSetting('HOLDFAST_INGEST_RATE_PER_IP', env) ?? DEFAULT_INGEST_GATE.perIpPerMinute,
    maxConcurrent: readSetting('HOLDFAST_INGEST_MAX_CONCURRENT', env) ?? DEFAULT_INGEST_GATE.maxConcurrent,
  };
}

export interface IngestGate {
  readonly config: IngestGateConfig;
  readonly inFlight: number;
  /**
   * Charges the caller's budgets (in `db`, shared by all instances; null: this process only) and
   * takes a batch slot; throws rate_limited (429) when a budget is spent or every slot is taken.
   * Call the returned release exactly once when the batch ends.
   */
  admit(caller: { principalId: string; ip: string | null }, db: Database | null): Promise<() => void>;
}

export function createIngestGate(config: IngestGateConfig): IngestGate {
  const perKey = createSharedRateLimiter({ limit: config.perKeyPerMinute, windowMs: 60_000 });
  const perIp = createSharedRateLimiter({ limit: config.perIpPerMinute, windowMs: 60_000 });
  let inFlight = 0;
  return {
    config,
    get inFlight() {
      return inFlight;
    },
    async admit(caller, db) {
      // The cheap, local refusal first: a full instance costs no database round trip.
      if (inFlight >= config.maxConcurrent) {
        throw new HoldfastError('rate_limited', `ingest is busy (${config.maxConcurrent} batches in flight); retry in 1 s`, { retryAfterSeconds: 1 });
      }
      inFlight++;
      try {
        await perKey.hit(db, `ingest:key:${caller.principalId}`);
        await perIp.hit(db, `ingest:ip:${caller.ip ?? 'direct'}`);
      } catch (e) {
        inFlight--;
        throw e;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        inFlight--;
      };
    },
  };
}

let shared: { key: string; gate: IngestGate } | undefined;

/** The process-wide gate; rebuilt when its environment changes (tests change limits). */
export function ingestGate(env?: Env): IngestGate {
  const config = ingestGateConfig(env);
  const key = JSON.stringify(config);
  if (!shared || shared.key !== key) shared = { key, gate: createIngestGate(config) };
  return shared.gate;
}
