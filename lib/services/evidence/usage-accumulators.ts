// The in-memory hourly usage aggregates of one evidence writer, found per request by a number
// computed from the row's dimensions (all small integers once the token and identity ids are
// numbered) instead of a string of them: a string key built and hashed per request was the
// aggregation's main cost (issue #15). Equal hashes are told apart by comparing the dimensions.
// Pure: no database here.

/** A usage row's dimension numbers (as evidence."Dim" gives them; null: none) and its verdict code. */
export interface UsageDimNumbers {
  ns: number;
  gateway: number | null;
  route: number | null;
  network: number | null;
  cert: number | null;
  jkt: number | null;
  reason: number | null;
  verdict: number;
}

/** The dimensions of a usage row. */
export interface UsageDims extends UsageDimNumbers {
  tokenId: string | null;
  identityId: string | null;
}

/** One hourly usage row being aggregated. */
export interface UsageAcc {
  hour: number;
  firstAt: number;
  lastAt: number;
  count: number;
  d: UsageDims;
  /** Set by the caller when the row is created (its stored key). */
  aggKey: Buffer;
  exemplar: Buffer;
}

interface Slot {
  acc: UsageAcc;
  /** The next accumulator whose dimensions hash the same. */
  next: Slot | null;
}

/** Mixes one more 32-bit value into a running hash (murmur3's round). */
function mix(h: number, v: number): number {
  let k = Math.imul(v | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

const orNone = (v: number | null) => (v === null ? -1 : v);

function sameRow(a: UsageAcc, hour: number, d: UsageDimNumbers, tokenId: string | null, identityId: string | null): boolean {
  const x = a.d;
  return (
    a.hour === hour && x.ns === d.ns && x.verdict === d.verdict && x.gateway === d.gateway && x.route === d.route && x.network === d.network &&
    x.cert === d.cert && x.jkt === d.jkt && x.reason === d.reason && x.tokenId === tokenId && x.identityId === identityId
  );
}

/** Makes the accumulator of a row first seen: called once per (hour, dimensions). */
export type NewUsageAcc<R> = (hour: number, row: R, tokenId: string | null, identityId: string | null) => UsageAcc;

/**
 * Hourly usage accumulators keyed by (hour, dimensions). `find` costs a few integer operations and
 * Map lookups of strings already hashed (token and identity ids come from the batch's caches), and
 * allocates nothing unless the row is new.
 */
export class UsageAccumulators<R extends UsageDimNumbers> {
  /** `hashMask`: bits of the hash kept (tests pass 0 to make every row collide). */
  constructor(
    private readonly create: NewUsageAcc<R>,
    private readonly hashMask = -1,
  ) {}

  private slots = new Map<number, Slot>();
  /** Token and identity ids numbered for the hash; kept until the accumulators are emptied. */
  private ids = new Map<string, number>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  private idNumber(id: string | null): number {
    if (id === null) return -1;
    let n = this.ids.get(id);
    if (n === undefined) this.ids.set(id, (n = this.ids.size));
    return n;
  }

  private hashOf(hour: number, d: UsageDimNumbers, tokenId: string | null, identityId: string | null): number {
    let h = mix(0x9747b28c, hour / 3_600_000);
    h = mix(h, d.ns);
    h = mix(h, d.verdict);
    h = mix(h, orNone(d.gateway));
    h = mix(h, orNone(d.route));
    h = mix(h, orNone(d.network));
    h = mix(h, orNone(d.cert));
    h = mix(h, orNone(d.jkt));
    h = mix(h, orNone(d.reason));
    h = mix(h, this.idNumber(tokenId));
    return mix(h, this.idNumber(identityId));
  }

  /** The accumulator of `row`'s dimensions in `hour`, made by the constructor's `create` when there is none yet. */
  find(hour: number, row: R, tokenId: string | null, identityId: string | null): UsageAcc {
    const h = this.hashOf(hour, row, tokenId, identityId) & this.hashMask;
    const first = this.slots.get(h);
    for (let s: Slot | null | undefined = first; s; s = s.next) if (sameRow(s.acc, hour, row, tokenId, identityId)) return s.acc;
    const acc = this.create(hour, row, tokenId, identityId);
    this.slots.set(h, { acc, next: first ?? null });
    this.count++;
    return acc;
  }

  /** Every accumulator, and empties the set. */
  take(): UsageAcc[] {
    const out: UsageAcc[] = [];
    for (const first of this.slots.values()) for (let s: Slot | null = first; s; s = s.next) out.push(s.acc);
    this.slots.clear();
    this.ids.clear();
    this.count = 0;
    return out;
  }
}
