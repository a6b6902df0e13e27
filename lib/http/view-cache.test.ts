import { describe, expect, it } from 'vitest';
import { createViewCache, viewCache, viewCacheSeconds } from './view-cache.ts';

describe('view cache', () => {
  it('serves one computation to every reader; once stale, answers at once and refreshes behind', async () => {
    let t = 1_000;
    let computed = 0;
    const cache = createViewCache(5_000, () => t);
    const compute = async () => ++computed;
    expect((await cache.get('summary', compute)).value).toBe(1);
    t += 4_999;
    const hit = await cache.get('summary', compute);
    expect(hit.value).toBe(1);
    expect(hit.at.getTime()).toBe(1_000);
    t += 1;
    // Stale: the old value now, one refresh started; the next reader sees the new one.
    expect((await cache.get('summary', compute)).value).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(computed).toBe(2);
    const fresh = await cache.get('summary', compute);
    expect(fresh.value).toBe(2);
    expect(fresh.at.getTime()).toBe(6_000);
    expect((await cache.get('overview:7', compute)).value).toBe(3);
  });

  it('a failed refresh keeps the previous value; freshness counts from when a computation ended', async () => {
    let t = 0;
    const cache = createViewCache(1_000, () => t);
    await cache.get('k', async () => 'v1');
    t = 1_000;
    expect((await cache.get('k', () => Promise.reject(new Error('db down')))).value).toBe('v1');
    await new Promise((r) => setTimeout(r, 0));
    expect((await cache.get('k', async () => 'v2')).value).toBe('v1');
    await new Promise((r) => setTimeout(r, 0));
    expect((await cache.get('k', async () => 'v3')).value).toBe('v2');
    // A slow aggregate: it finished at t = 5,000, so it is fresh until 6,000 whatever its start.
    t = 10_000;
    let release!: () => void;
    const slow = cache.get('slow', () => new Promise<string>((r) => (release = () => r('s1'))));
    t = 15_000;
    release();
    expect((await slow).at.getTime()).toBe(10_000);
    t = 15_999;
    let again = 0;
    await cache.get('slow', async () => String(++again));
    expect(again).toBe(0);
  });

  it('concurrent misses share the one query in progress; failures are not kept', async () => {
    const cache = createViewCache(5_000);
    let calls = 0;
    let release!: () => void;
    const slow = () => new Promise<number>((r) => { calls++; release = () => r(calls); });
    const readers = Array.from({ length: 50 }, () => cache.get('summary', slow));
    release();
    expect(new Set((await Promise.all(readers)).map((c) => c.value))).toEqual(new Set([1]));
    expect(calls).toBe(1);
    await expect(cache.get('broken', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect((await cache.get('broken', async () => 'ok')).value).toBe('ok');
  });

  it('clear() drops entries, and a value computed across a clear is served but not kept', async () => {
    const cache = createViewCache(60_000);
    let n = 0;
    await cache.get('k', async () => ++n);
    cache.clear();
    let release!: () => void;
    const during = cache.get('k', () => new Promise<number>((r) => (release = () => r(++n))));
    cache.clear();
    release();
    expect((await during).value).toBe(2);
    expect((await cache.get('k', async () => ++n)).value).toBe(3);
  });

  it('TTL 0 computes every time; the setting is validated', async () => {
    let n = 0;
    const off = createViewCache(0);
    await off.get('k', async () => ++n);
    await off.get('k', async () => ++n);
    expect(n).toBe(2);
    expect(viewCacheSeconds({})).toBe(5);
    expect(viewCacheSeconds({ HOLDFAST_VIEW_CACHE_SECONDS: '0' })).toBe(0);
    expect(() => viewCacheSeconds({ HOLDFAST_VIEW_CACHE_SECONDS: '-1' })).toThrow(/HOLDFAST_VIEW_CACHE_SECONDS/);
    expect(() => viewCacheSeconds({ HOLDFAST_VIEW_CACHE_SECONDS: 'soon' })).toThrow(/HOLDFAST_VIEW_CACHE_SECONDS/);
    const db = {};
    expect(viewCache(db, {})).toBe(viewCache(db, {}));
    expect(viewCache(db, { HOLDFAST_VIEW_CACHE_SECONDS: '1' }).ttlMs).toBe(1000);
  });
});
