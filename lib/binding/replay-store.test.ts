import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeyCache } from './key-cache.ts';
import { MemoryReplayStore } from './replay-store.ts';

describe('MemoryReplayStore', () => {
  it('reports a key seen again before it expires as a replay', () => {
    const s = new MemoryReplayStore();
    expect(s.remember('https://a/ j1', 2_000, 1_000)).toBe(false);
    expect(s.remember('https://a/ j1', 2_000, 1_500)).toBe(true);
  });

  it('forgets a key once its window has passed', () => {
    const s = new MemoryReplayStore();
    s.remember('k', 2_000, 1_000);
    expect(s.remember('k', 3_000, 2_000)).toBe(false);
  });

  it('stays within maxEntries, dropping expired entries first, then the oldest', () => {
    const s = new MemoryReplayStore({ maxEntries: 10 });
    for (let i = 0; i < 5; i++) s.remember(`old-${i}`, 1_000, 0);
    for (let i = 0; i < 20; i++) s.remember(`new-${i}`, 10_000, 2_000);
    expect(s.size).toBeLessThanOrEqual(10);
    expect(s.remember('new-19', 10_000, 2_000)).toBe(true);
  });
});

describe('KeyCache', () => {
  const key = () => createPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }));

  it('evicts the least recently used key beyond its bound', () => {
    const c = new KeyCache(2);
    c.set('a', key());
    c.set('b', key());
    c.get('a'); // a is now most recent
    c.set('c', key());
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBeDefined();
    expect(c.get('c')).toBeDefined();
    expect(c.size).toBe(2);
  });
});
