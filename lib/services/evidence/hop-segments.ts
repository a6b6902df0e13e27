// Hop facts of many requests packed into one value (lib/services/evidence/hops.ts): what a request
// that carried a correlation id costs while it is the only hop seen of its request — most requests
// in most estates, whose logs come from one edge. A segment holds the requests of one source, one
// side of the TLS-terminating edge (lib/hops inferRole), one ledger day and at most SEGMENT_SPAN_MS
// of time, as columns (flags, kinds, time deltas, dimension numbers as varints — repetitive, so
// PostgreSQL's TOAST compression shrinks them), the 16 random bytes of each correlation key last
// (compression gives up on data it cannot shrink at the start). No per-request row, no per-request
// index entry: a batch finds the other hops of its requests by reading the segments of other
// sources and sides around its time. Pure: no database here.
export const SEGMENT_SPAN_MS = 5 * 60_000;
export const SEGMENT_MAX = 20_000;

/** What one hop needs to become a full evidence."Hop" row later (all but day and ns, which are the segment's). */
export interface HopFacts {
  at: number;
  /** 17-byte correlation key (lib/ingest/evidence/request-key.ts). */
  corr: Buffer;
  /** The request already has a full Hop row (its ledger key is not its correlation key); else its ledger key is `corr`. */
  full: boolean;
  route: number | null;
  httpStatus: number | null;
  verdict: number;
  tls: number | null;
  cert: number | null;
  certSha1: number | null;
  fwd: number | null;
  fwdCert: number | null;
  fwdSha1: number | null;
  certNames: string | null;
  fwdNames: string | null;
  corrText: string | null;
}

const NULLABLE = ['route', 'httpStatus', 'tls', 'cert', 'certSha1', 'fwd', 'fwdCert', 'fwdSha1'] as const;

class Writer {
  buf = Buffer.allocUnsafe(1024);
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(next, 0, 0, this.n);
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.n++] = v;
  }
  varint(v: number): void {
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.n++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.n++] = v;
  }
  bytes(b: Buffer, from: number, to: number): void {
    this.room(to - from);
    this.n += b.copy(this.buf, this.n, from, to);
  }
}

/** Packs hops (sorted by time here) into a segment: its time span, the packed bytes and the rare texts (JSON, null when none). */
export function encodeSegment(hops: HopFacts[]): { lo: number; hi: number; packed: Buffer; texts: string | null } {
  const list = [...hops].sort((a, b) => a.at - b.at);
  const w = new Writer();
  w.varint(list.length);
  const lo = list[0]!.at;
  w.varint(lo >= 0 ? lo : 0);
  for (const h of list) w.u8((h.full ? 1 : 0) | (h.corr[0]! << 1));
  let prev = lo;
  for (const h of list) {
    w.varint(h.at - prev);
    prev = h.at;
  }
  for (const h of list) w.varint(h.full ? 0 : h.verdict);
  for (const k of NULLABLE) for (const h of list) w.varint(h.full || h[k] === null ? 0 : h[k]! + 1);
  for (const h of list) w.bytes(h.corr, 1, 17);
  const texts: Array<[number, string | null, string | null, string | null]> = [];
  list.forEach((h, i) => {
    if (!h.full && (h.certNames !== null || h.fwdNames !== null || h.corrText !== null)) texts.push([i, h.certNames, h.fwdNames, h.corrText]);
  });
  return { lo, hi: prev, packed: Buffer.from(w.buf.subarray(0, w.n)), texts: texts.length ? JSON.stringify(texts) : null };
}

/** A decoded segment: times and correlation keys of every hop, the full facts on demand. */
export interface DecodedSegment {
  n: number;
  at: Float64Array;
  full: Uint8Array;
  /** Correlation key of hop i as a 17-character latin1 string (kind, then 16 bytes): a Map key. */
  corrKey(i: number): string;
  facts(i: number): HopFacts;
}

export function decodeSegment(packed: Buffer, texts: string | null): DecodedSegment {
  let p = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (;;) {
      const b = packed[p++]!;
      v += (b & 0x7f) * mul;
      if (b < 0x80) return v;
      mul *= 128;
    }
  };
  const n = varint();
  let t = varint();
  const flags = packed.subarray(p, p + n);
  p += n;
  const full = new Uint8Array(n);
  const kinds = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    full[i] = flags[i]! & 1;
    kinds[i] = flags[i]! >> 1;
  }
  const at = new Float64Array(n);
  for (let i = 0; i < n; i++) at[i] = t += varint();
  const verdict = new Uint16Array(n);
  for (let i = 0; i < n; i++) verdict[i] = varint();
  const cols = {} as Record<(typeof NULLABLE)[number], Float64Array>;
  for (const k of NULLABLE) {
    const c = (cols[k] = new Float64Array(n));
    for (let i = 0; i < n; i++) c[i] = varint() - 1;
  }
  const bodies = p;
  const text = new Map<number, [string | null, string | null, string | null]>();
  if (texts) for (const [i, a, b, c] of JSON.parse(texts) as Array<[number, string | null, string | null, string | null]>) text.set(i, [a, b, c]);
  const nul = (v: number) => (v < 0 ? null : v);
  return {
    n, at, full,
    corrKey: (i) => String.fromCharCode(kinds[i]!) + packed.toString('latin1', bodies + 16 * i, bodies + 16 * i + 16),
    facts(i) {
      const corr = Buffer.allocUnsafe(17);
      corr[0] = kinds[i]!;
      packed.copy(corr, 1, bodies + 16 * i, bodies + 16 * i + 16);
      const [certNames, fwdNames, corrText] = text.get(i) ?? [null, null, null];
      return {
        at: at[i]!, corr, full: full[i] === 1, verdict: verdict[i]!,
        route: nul(cols.route[i]!), httpStatus: nul(cols.httpStatus[i]!), tls: nul(cols.tls[i]!), cert: nul(cols.cert[i]!), certSha1: nul(cols.certSha1[i]!),
        fwd: nul(cols.fwd[i]!), fwdCert: nul(cols.fwdCert[i]!), fwdSha1: nul(cols.fwdSha1[i]!), certNames, fwdNames, corrText,
      };
    },
  };
}

/** The Map key decodeSegment gives a correlation key. */
export const corrKeyOf = (corr: Buffer): string => corr.toString('latin1');
