import type { KeyObject } from 'node:crypto';

/** Bounded LRU of imported public keys keyed by RFC 7638 thumbprint: a seen key is never re-parsed. */
export class KeyCache {
  readonly #map = new Map<string, KeyObject>();
  readonly #max: number;
  imports = 0;
  hits = 0;

  constructor(maxEntries = 1000) {
    this.#max = Math.max(1, maxEntries);
  }

  get size(): number {
    return this.#map.size;
  }

  get(thumbprint: string): KeyObject | undefined {
    const key = this.#map.get(thumbprint);
    if (key !== undefined) {
      this.hits++;
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.#map.delete(thumbprint);
      this.#map.set(thumbprint, key);
    }
    return key;
  }

  set(thumbprint: string, key: KeyObject): void {
    this.imports++;
    this.#map.delete(thumbprint);
    this.#map.set(thumbprint, key);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}
