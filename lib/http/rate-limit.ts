// Fixed-window rate limiter kept in process memory: this process's count of a budget. The routes
// use lib/http/shared-rate-limit.ts, which counts in the database for all instances and keeps one
// of these as its local first check. Keys are strings such as `sign-in:ip:203.0.113.9`.
import { HoldfastError } from '../errors.ts';

export interface RateLimiter {
  /** Throws rate_limited (429 with Retry-After) when `key` went over its budget. */
  hit(key: string, nowMs?: number): void;
}

export function createRateLimiter(opts: { limit: number; windowMs: number; maxKeys?: number }): RateLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  const maxKeys = opts.maxKeys ?? 50_000;
  return {
    hit(key, nowMs = Date.now()) {
      let w = windows.get(key);
      if (!w || nowMs - w.start >= opts.windowMs) {
        if (windows.size >= maxKeys) {
          // Drop expired windows first; if all are live, drop the oldest (bounded memory).
          for (const [k, v] of windows) if (nowMs - v.start >= opts.windowMs) windows.delete(k);
          if (windows.size >= maxKeys) windows.delete(windows.keys().next().value as string);
        }
        w = { start: nowMs, count: 0 };
        windows.set(key, w);
      }
      w.count++;
      if (w.count > opts.limit) {
        const retryAfterSeconds = Math.max(1, Math.ceil((w.start + opts.windowMs - nowMs) / 1000));
        throw new HoldfastError('rate_limited', `too many requests; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
      }
    },
  };
}
