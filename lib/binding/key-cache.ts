import type { KeyObject } from 'node:crypto';
import type { BindingCheck } from './types.ts';

/** What a DPoP proof's JOSE header established, once it passed typ, alg and private-key checks. */
export interface CachedProofHeader {
  alg: string;
  jkt: string;
  key: KeyObject;
}

class Lru<V> {
  readonly #map = new Map<string, V>();
  // The most recently used key: a client sends the same header with proof after proof, and a
  // hit on the newest entry needs no re-insertion.
  #newest: string | null = null;
  constructor(readonly max: number) {}
  get size(): number {
    return this.#map.size;
  }
  get(k: string): V | undefined {
    const v = this.#map.get(k);
    if (v !== undefined && k !== this.#newest) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.#map.delete(k);
      this.#map.set(k, v);
      this.#newest = k;
    }
    return v;
  }
  set(k: string, v: V): void {
    this.#map.delete(k);
    this.#map.set(k, v);
    this.#newest = k;
    if (this.#map.size > this.max) {
      const oldest = this.#map.keys().next();
      if (!oldest.done) this.#map.delete(oldest.value);
    }
  }
}

/** The header checks (the last one failed) of a JOSE header rejected on its own bytes. */
export interface RejectedProofHeader {
  /** The allowed algorithms (comma-joined) the header was rejected under: the outcome depends on both. */
  algs: string;
  jkt: string | null;
  /** The header's declared alg (display-safe), so a cached rejection still names it. */
  alg: string | null;
  checks: BindingCheck[];
}

/**
 * Bounded LRU of imported public keys keyed by RFC 7638 thumbprint: a seen key is never
 * re-parsed. A second LRU remembers, per exact base64url JOSE header, the checks that header
 * already passed — a client sends the same header with every proof, so the header JSON, the
 * thumbprint and the key lookup are skipped too. Header checks are pure functions of those
 * bytes, so the cached outcome is the outcome.
 */
export class KeyCache {
  readonly #keys: Lru<KeyObject>;
  readonly #headers: Lru<CachedProofHeader>;
  readonly #rejected: Lru<RejectedProofHeader>;
  imports = 0;
  hits = 0;

  constructor(maxEntries = 1000) {
    const max = Math.max(1, maxEntries);
    this.#keys = new Lru(max);
    this.#headers = new Lru(max);
    this.#rejected = new Lru(max);
  }

  get size(): number {
    return this.#keys.size;
  }

  get(thumbprint: string): KeyObject | undefined {
    const key = this.#keys.get(thumbprint);
    if (key !== undefined) this.hits++;
    return key;
  }

  set(thumbprint: string, key: KeyObject): void {
    this.imports++;
    this.#keys.set(thumbprint, key);
  }

  getHeader(encodedHeader: string): CachedProofHeader | undefined {
    const h = this.#headers.get(encodedHeader);
    if (h !== undefined) this.hits++;
    return h;
  }

  setHeader(encodedHeader: string, value: CachedProofHeader): void {
    this.#headers.set(encodedHeader, value);
  }

  /** By encoded header; the caller checks `algs` against its own configuration. */
  getRejectedHeader(encodedHeader: string): RejectedProofHeader | undefined {
    return this.#rejected.get(encodedHeader);
  }

  setRejectedHeader(encodedHeader: string, value: RejectedProofHeader): void {
    this.#rejected.set(encodedHeader, value);
  }
}
