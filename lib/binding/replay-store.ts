/**
 * Remembers DPoP `jti` values per target URI for the acceptance window only (RFC 9449 §11.1).
 * `remember` returns true when the key was already present and unexpired (a replay), and
 * records it otherwise — one call, so a shared implementation can make it atomic.
 */
export interface ReplayStore {
  remember(key: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/** In-memory, bounded replay store: expired entries are swept; beyond `maxEntries` the oldest go. */
export class MemoryReplayStore implements ReplayStore {
  readonly #entries = new Map<string, number>();
  readonly #maxEntries: number;

  constructor(options: { maxEntries?: number } = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 100_000);
  }

  get size(): number {
    return this.#entries.size;
  }

  remember(key: string, expiresAtMs: number, nowMs: number): boolean {
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing > nowMs) return true;
    if (existing !== undefined) this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#evict(nowMs);
    this.#entries.set(key, expiresAtMs);
    return false;
  }

  #evict(nowMs: number): void {
    for (const [k, exp] of this.#entries) {
      if (exp <= nowMs) this.#entries.delete(k);
    }
    // Still full: drop the oldest tenth, so a store full of live entries does not rescan on
    // every insert. A replay of an evicted jti then goes unnoticed, which is why maxEntries
    // should exceed (proofs per second × window).
    const keep = Math.floor(this.#maxEntries * 0.9);
    while (this.#entries.size > keep && this.#entries.size > 0) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}
