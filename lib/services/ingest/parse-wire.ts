// How parsed lines cross from the parse worker (parse-worker-thread.ts) to the pipeline's thread:
// by structured clone, events as one flat array of their fields in a fixed order (a clone of that
// costs both threads about half of a clone of the event objects, measured), and what a clone would
// lose or copy dearly beside it. An event's `redactedRaw` is
// worked out when first read (lib/ingest/event.ts), so its ingredients travel instead (the line's
// bytes packed into one buffer per message, or its text, or the redacted line when the worker had
// to work it out); a certificate's DER (a symbol-keyed property) travels beside its certificate
// object, which the clone keeps shared between the lines of a message; request keys (17 bytes
// each) travel packed in one buffer. Raw tokens and DPoP proofs cross as they are in memory: the
// pipeline verifies the proofs and drops them as it does for events parsed in its own thread.
import { attachDer, derOf } from '../../credentials/certificate.ts';
import type { NormalizedEvent } from '../../domain/types.ts';
import { REQUEST_KEY_BYTES } from '../../ingest/evidence/request-key.ts';
import { eventRaw, newEvent, type EventRaw } from '../../ingest/event.ts';
import { jsonObject } from '../../ingest/fields.ts';
import type { ParsedLine } from '../../ingest/parse-stream.ts';
import type { ParseResult } from '../../ingest/types.ts';

/** A parsed line with the request key of its event (computed where it was parsed). */
export interface KeyedLine extends ParsedLine {
  key?: Buffer;
}

type Cert = NonNullable<NormalizedEvent['cert']>;

/** The fields every event has (newEvent), in the order they travel. */
const BASE = [
  'format', 'occurredAt', 'requestId', 'gateway', 'method', 'url', 'clientIp', 'httpStatus', 'authScheme', 'hasDpop', 'dpopProof',
  'tokenFingerprint', 'tokenClaims', 'identityHint', 'cert', 'failureDetail', 'sourceVerdict',
] as const;
/** The fields a parser may add; whether each is there travels as a bit (a field set to undefined is there). */
const OPTIONAL = ['jkt', 'correlationId', 'forwardedCert', 'peerIp', 'notLogged', 'dpopHeaderCount', 'host', 'labels'] as const;
// Every field of NormalizedEvent travels: a field added to it and not here fails the typecheck.
const _allFields: Exclude<keyof NormalizedEvent, (typeof BASE)[number] | (typeof OPTIONAL)[number] | 'redactedRaw'> extends never ? true : never = true;
void _allFields;
/** Values per event in WireBatch.events: the fields, the optional fields' bits, the line's line number, and its raw (3). */
const STRIDE = BASE.length + OPTIONAL.length + 5;

/** An event's line as it crosses: 0 redacted already (a: the text), 1 its text (a), 2 a range of the message's bytes (a: offset, b: length). */
const RAW_REDACTED = 0;
const RAW_TEXT = 1;
const RAW_BYTES = 2;

export interface WireBatch {
  /** Lines that are no event, with their position among all of the message's lines. */
  others: Array<{ at: number; lineNo: number; result: ParseResult }>;
  /** Lines in all (events and others). */
  count: number;
  /** STRIDE values per event, in order; a certificate the worker shares between lines travels as its number (`certs`). */
  events: unknown[];
  /** The lines' bytes of events that keep them. */
  bytes: ArrayBuffer;
  /** One request key per event, in order, REQUEST_KEY_BYTES each. */
  keys: ArrayBuffer;
  /** Shared certificates first sent in this message: number, certificate, DER. */
  certs: Array<[number, Cert, Uint8Array | null]>;
  /** The numbers before this message's are forgotten (the table was full). */
  resetCerts: boolean;
}

/** Shared certificates numbered per stream (either side keeps its own): sent once, then by number. */
export interface CertTable {
  ids: Map<Cert, number>;
  byId: Map<number, Cert>;
  next: number;
}

export const newCertTable = (): CertTable => ({ ids: new Map(), byId: new Map(), next: 1 });

/** Most certificates a table keeps before starting over (a fleet has thousands; the parser's own cache keeps fewer). */
const CERT_TABLE_MAX = 50_000;

/**
 * Packs one chunk of parsed lines for postMessage (transfer `bytes` and `keys`), each event's key
 * from `keyOf`, called in stream order. Worker side.
 */
export function toWire(lines: ParsedLine[], keyOf: (ev: NormalizedEvent) => Uint8Array, table: CertTable): WireBatch {
  const raws: Array<EventRaw | null> = [];
  let byteLen = 0;
  for (const l of lines) {
    if (l.result.kind !== 'event') continue;
    const raw = eventRaw(l.result.event);
    raws.push(raw);
    if (raw && 'line' in raw && typeof raw.line !== 'string') byteLen += raw.line.byteLength;
  }
  const events = raws.length;
  const bytes = new Uint8Array(byteLen);
  const keys = new Uint8Array(events * REQUEST_KEY_BYTES);
  const flat: unknown[] = new Array(events * STRIDE);
  const others: WireBatch['others'] = [];
  const certs: WireBatch['certs'] = [];
  let resetCerts = false;
  if (table.ids.size >= CERT_TABLE_MAX) {
    table.ids.clear();
    resetCerts = true;
  }
  // Only certificates with an x5t#S256 are shared between lines (lib/ingest/cert.ts buildCert); the others go whole.
  const cert = (c: Cert | null | undefined): unknown => {
    if (!c?.x5tS256) return c;
    let id = table.ids.get(c);
    if (id === undefined) {
      table.ids.set(c, (id = table.next++));
      const d = derOf(c);
      // A copy of its own: a Buffer's clone copies its whole backing store (a pool slab, a chunk).
      certs.push([id, c, d ? new Uint8Array(d) : null]);
    }
    return id;
  };
  let at = 0;
  let i = 0;
  for (let n = 0; n < lines.length; n++) {
    const { lineNo, result } = lines[n]!;
    if (result.kind !== 'event') {
      others.push({ at: n, lineNo, result });
      continue;
    }
    const ev = result.event;
    // The key first: for a line without a request id it is the redacted line's hash, worked out here.
    keys.set(keyOf(ev), i * REQUEST_KEY_BYTES);
    const o = i * STRIDE;
    flat[o] = ev.format;
    flat[o + 1] = ev.occurredAt;
    flat[o + 2] = ev.requestId;
    flat[o + 3] = ev.gateway;
    flat[o + 4] = ev.method;
    flat[o + 5] = ev.url;
    flat[o + 6] = ev.clientIp;
    flat[o + 7] = ev.httpStatus;
    flat[o + 8] = ev.authScheme;
    flat[o + 9] = ev.hasDpop;
    flat[o + 10] = ev.dpopProof;
    flat[o + 11] = ev.tokenFingerprint;
    flat[o + 12] = ev.tokenClaims;
    flat[o + 13] = ev.identityHint;
    flat[o + 14] = cert(ev.cert);
    flat[o + 15] = ev.failureDetail;
    flat[o + 16] = ev.sourceVerdict;
    const p = o + BASE.length;
    let bits = 0;
    if ('jkt' in ev) {
      bits |= 1;
      flat[p] = ev.jkt;
    }
    if ('correlationId' in ev) {
      bits |= 2;
      flat[p + 1] = ev.correlationId;
    }
    if ('forwardedCert' in ev) {
      bits |= 4;
      flat[p + 2] = cert(ev.forwardedCert);
    }
    if ('peerIp' in ev) {
      bits |= 8;
      flat[p + 3] = ev.peerIp;
    }
    if ('notLogged' in ev) {
      bits |= 16;
      flat[p + 4] = ev.notLogged;
    }
    if ('dpopHeaderCount' in ev) {
      bits |= 32;
      flat[p + 5] = ev.dpopHeaderCount;
    }
    if ('host' in ev) {
      bits |= 64;
      flat[p + 6] = ev.host;
    }
    if ('labels' in ev) {
      bits |= 128;
      flat[p + 7] = ev.labels;
    }
    let r = p + OPTIONAL.length;
    flat[r++] = bits;
    flat[r++] = lineNo;
    const raw = raws[i]!;
    if (raw && 'line' in raw && (raw.json === undefined || raw.json === jsonObject)) {
      if (typeof raw.line === 'string') {
        flat[r] = RAW_TEXT;
        flat[r + 1] = raw.line;
      } else {
        bytes.set(raw.line, at);
        flat[r] = RAW_BYTES;
        flat[r + 1] = at;
        at += raw.line.byteLength;
      }
      // The byte length times 2, plus 1 when redacted as a JSON line.
      flat[r + 2] = (typeof raw.line === 'string' ? 0 : raw.line.byteLength) * 2 + (raw.json === jsonObject ? 1 : 0);
    } else {
      // A parsed object does not cross cheaply: the line is redacted here.
      flat[r] = RAW_REDACTED;
      flat[r + 1] = raw && 'redacted' in raw ? raw.redacted : ev.redactedRaw;
      flat[r + 2] = 0;
    }
    i++;
  }
  return { others, count: lines.length, events: flat, bytes: bytes.buffer, keys: keys.buffer, certs, resetCerts };
}

/** The keyed lines of a message, events whole again (their `redactedRaw` as lazy as at parse). Pipeline side. */
export function fromWire(w: WireBatch, table: CertTable): KeyedLine[] {
  if (w.resetCerts) table.byId.clear();
  for (const [id, c, d] of w.certs) {
    if (d) attachDer(c, Buffer.from(d.buffer, d.byteOffset, d.byteLength));
    table.byId.set(id, c);
  }
  const cert = (v: unknown) => (typeof v === 'number' ? table.byId.get(v)! : (v as Cert | null));
  const bytes = new Uint8Array(w.bytes);
  const keys = Buffer.from(w.keys);
  const flat = w.events;
  const out: KeyedLine[] = new Array(w.count);
  for (const x of w.others) out[x.at] = { lineNo: x.lineNo, result: x.result };
  let i = 0;
  for (let n = 0; n < w.count; n++) {
    if (out[n]) continue;
    const o = i * STRIDE;
    const p = o + BASE.length;
    const r = p + OPTIONAL.length + 2;
    const kind = flat[r] as number;
    const last = flat[r + 2] as number;
    let ev: NormalizedEvent;
    if (kind === RAW_REDACTED) {
      ev = newEvent(flat[o] as string, flat[o + 1] as Date, '');
      ev.redactedRaw = flat[r + 1] as string;
    } else {
      const line = kind === RAW_TEXT ? (flat[r + 1] as string) : bytes.subarray(flat[r + 1] as number, (flat[r + 1] as number) + Math.floor(last / 2));
      ev = newEvent(flat[o] as string, flat[o + 1] as Date, line, last % 2 ? jsonObject : undefined);
    }
    ev.requestId = flat[o + 2] as NormalizedEvent['requestId'];
    ev.gateway = flat[o + 3] as NormalizedEvent['gateway'];
    ev.method = flat[o + 4] as NormalizedEvent['method'];
    ev.url = flat[o + 5] as NormalizedEvent['url'];
    ev.clientIp = flat[o + 6] as NormalizedEvent['clientIp'];
    ev.httpStatus = flat[o + 7] as NormalizedEvent['httpStatus'];
    ev.authScheme = flat[o + 8] as NormalizedEvent['authScheme'];
    ev.hasDpop = flat[o + 9] as NormalizedEvent['hasDpop'];
    ev.dpopProof = flat[o + 10] as NormalizedEvent['dpopProof'];
    ev.tokenFingerprint = flat[o + 11] as NormalizedEvent['tokenFingerprint'];
    ev.tokenClaims = flat[o + 12] as NormalizedEvent['tokenClaims'];
    ev.identityHint = flat[o + 13] as NormalizedEvent['identityHint'];
    ev.cert = cert(flat[o + 14]);
    ev.failureDetail = flat[o + 15] as NormalizedEvent['failureDetail'];
    ev.sourceVerdict = flat[o + 16] as NormalizedEvent['sourceVerdict'];
    // The optional fields in the order parsers add them does not matter: nothing reads an event's key order.
    const bits = flat[p + OPTIONAL.length] as number;
    if (bits & 1) ev.jkt = flat[p] as NormalizedEvent['jkt'];
    if (bits & 2) ev.correlationId = flat[p + 1] as NormalizedEvent['correlationId'];
    if (bits & 4) ev.forwardedCert = cert(flat[p + 2]) as NormalizedEvent['forwardedCert'];
    if (bits & 8) ev.peerIp = flat[p + 3] as NormalizedEvent['peerIp'];
    if (bits & 16) ev.notLogged = flat[p + 4] as NormalizedEvent['notLogged'];
    if (bits & 32) ev.dpopHeaderCount = flat[p + 5] as NormalizedEvent['dpopHeaderCount'];
    if (bits & 64) ev.host = flat[p + 6] as NormalizedEvent['host'];
    if (bits & 128) ev.labels = flat[p + 7] as NormalizedEvent['labels'];
    out[n] = { lineNo: flat[r - 1] as number, result: { kind: 'event', event: ev }, key: keys.subarray(i * REQUEST_KEY_BYTES, (i + 1) * REQUEST_KEY_BYTES) };
    i++;
  }
  return out;
}
