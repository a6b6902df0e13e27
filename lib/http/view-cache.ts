// Short-lived, per-instance cache for estate-wide aggregates (Overview, /api/v1/summary): the
// same figures for every reader, expensive to compute, and read by every dashboard user on
// every visit. All readers share one computation (single flight: concurrent misses wait for the
// one query in progress); once a value is `ttlMs` old, readers still get it at once while one
// refresh runs behind them (stale-while-revalidate), so 50 analysts opening the Overview cost one
// set of aggregate queries per TTL instead of 50, and nobody waits on a slow aggregate except the
// very first reader — which is what keeps the dashboard responsive while gateways push ingest
// batches. Values carry the time they were computed so pages can say "as of". Failures are never
// cached (a failed refresh leaves the previous value, and the next reader tries again). HOLDFAST_VIEW_CACHE_SECONDS (default 5; 0 turns it off).
// Access control is not the cache's business: callers check the reader's role first, and only
// estate-wide data with no per-user scoping may be cached here.
import { readSetting, type Env } from '../config.ts';

export interface Cached<T> {
  value: T;
  /** When the value was computed. */
  at: Date;
}

export interface ViewCache {
  readonly ttlMs: number;
  get<T>(key: string, compute: () => Promise<T>): Promise<Cached<T>>;
  /** Drops every entry (after a write this instance knows changes the figures). */
  clear(): void;
}

export const DEFAULT_VIEW_CACHE_SECONDS = 5;
const MAX_ENTRIES = 256;

export function createViewCache(ttlMs: number, now: () => number = Date.now): ViewCache {
  // `at`: when the computation started (what "as of" means); `doneAt`: when it finished (what
  // freshness counts from, so a slow aggregate is not recomputed back to back).
  const done = new Map<string, { at: number; doneAt: number; value: unknown }>();
  const pending = new Map<string, Promise<Cached<unknown>>>();
  let generation = 0;

  const refresh = <T>(key: string, compute: () => Promise<T>): Promise<Cached<T>> => {
    const running = pending.get(key);
    if (running) return running as Promise<Cached<T>>;
    const startedIn = generation;
    const p = (async () => {
      const at = now();
      const value = await compute();
      // A clear() while computing means the value may predate a write: serve it, don't keep it.
      if (startedIn === generation) {
        done.delete(key);
        if (done.size >= MAX_ENTRIES) done.delete(done.keys().next().value as string);
        done.set(key, { at, doneAt: now(), value });
      }
      return { value, at: new Date(at) };
    })();
    pending.set(key, p);
    void p.then(
      () => pending.get(key) === p && pending.delete(key),
      () => pending.get(key) === p && pending.delete(key),
    );
    return p;
  };

  return {
    ttlMs,
    async get<T>(key: string, compute: () => Promise<T>): Promise<Cached<T>> {
      if (ttlMs <= 0) return { value: await compute(), at: new Date(now()) };
      const hit = done.get(key);
      if (!hit) return refresh(key, compute);
      if (now() - hit.doneAt >= ttlMs) {
        // Stale: answer with what we have and let one reader's refresh run behind it.
        refresh(key, compute).catch(() => {});
      }
      return { value: hit.value as T, at: new Date(hit.at) };
    },
    clear() {
      generation++;
      done.clear();
      pending.clear();
    },
  };
}

export function viewCacheSeconds(env?: Env): number {
  return readSetting('HOLDFAST_VIEW_CACHE_SECONDS', env);
}

// One cache per open database (tests open several in one process).
const shared = new WeakMap<object, { seconds: number; cache: ViewCache }>();

/** The process-wide cache for `db`; rebuilt when HOLDFAST_VIEW_CACHE_SECONDS changes. */
export function viewCache(db: object, env?: Env): ViewCache {
  const seconds = viewCacheSeconds(env);
  let entry = shared.get(db);
  if (!entry || entry.seconds !== seconds) {
    entry = { seconds, cache: createViewCache(seconds * 1000) };
    shared.set(db, entry);
  }
  return entry.cache;
}
