// Streaming line reader: bytes in (Node Readable, web ReadableStream, any AsyncIterable of
// bytes; gzip detected by magic bytes), numbered lines out. Memory is bounded by the longest
// accepted line: a longer line is skipped to its newline and reported, never buffered whole.
// A gzip body inflates only as far as the source's bound allows (a few hundred KB of gzip can
// inflate to gigabytes of newlines).
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { HoldfastError } from '../errors.ts';

export type LineReaderError = 'invalid_utf8' | 'line_too_long';

export type LineItem =
  | { lineNo: number; text: string; bytes: Uint8Array }
  | { lineNo: number; error: LineReaderError; message: string };

export type ByteSource =
  | Readable
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>
  | BoundedByteSource;

/**
 * Bytes together with how far they may inflate when they turn out to be gzip. The bound travels
 * with the bytes because the edge that received them (the HTTP route) knows its limits, while
 * the layers between it and this reader (the ingest pipeline, the parse stream) pass the source
 * through untouched.
 */
export interface BoundedByteSource {
  bytes: Exclude<ByteSource, BoundedByteSource>;
  /** Most bytes the gunzipped stream may yield; past it the read fails with `payload_too_large`. */
  maxInflatedBytes: number;
}

function isBounded(src: ByteSource): src is BoundedByteSource {
  return typeof (src as BoundedByteSource).maxInflatedBytes === 'number' && 'bytes' in src;
}

export interface ReadLinesOptions {
  /** Longest line in bytes (without the newline); default 1 MiB. */
  maxLineBytes?: number;
  /** Sees every chunk as received, before any gunzip (e.g. to hash what the client sent). */
  onBytes?: (chunk: Buffer) => void;
  /** Gunzip when the input starts with 1f 8b; default true. */
  detectGzip?: boolean;
}

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;

async function* chunksOf(src: Exclude<ByteSource, BoundedByteSource>): AsyncGenerator<Buffer> {
  if (typeof (src as ReadableStream<Uint8Array>).getReader === 'function' && !(src instanceof Readable)) {
    const reader = (src as ReadableStream<Uint8Array>).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (value) yield toBuffer(value);
      }
    } finally {
      reader.releaseLock();
    }
  }
  for await (const c of src as AsyncIterable<Uint8Array | string>) yield toBuffer(c);
}

async function* tapped(src: AsyncGenerator<Buffer>, onBytes: ((chunk: Buffer) => void) | undefined): AsyncGenerator<Buffer> {
  if (!onBytes) return yield* src;
  for await (const c of src) {
    onBytes(c);
    yield c;
  }
}

function toBuffer(c: Uint8Array | string): Buffer {
  if (typeof c === 'string') return Buffer.from(c, 'utf8');
  return Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

/**
 * Chunks, gunzipped when the first two bytes are the gzip magic. Errors surface as a thrown zlib
 * error; inflating past `maxInflated` throws HoldfastError('payload_too_large') before any byte
 * over the bound is yielded, and stops reading the input.
 */
async function* maybeGunzip(src: AsyncGenerator<Buffer>, detect: boolean, maxInflated: number): AsyncGenerator<Buffer> {
  const head: Buffer[] = [];
  let headLen = 0;
  let first: IteratorResult<Buffer>;
  while (headLen < 2 && !(first = await src.next()).done) {
    head.push(first.value);
    headLen += first.value.length;
  }
  const start = head.length === 1 ? head[0]! : Buffer.concat(head);
  const gz = detect && start.length >= 2 && start[0] === 0x1f && start[1] === 0x8b;
  if (!gz) {
    if (start.length) yield start;
    yield* src;
    return;
  }
  const input = Readable.from(
    (async function* () {
      yield start;
      yield* src;
    })(),
  );
  const gunzip = createGunzip();
  input.on('error', (e) => gunzip.destroy(e));
  input.pipe(gunzip);
  let inflated = 0;
  try {
    for await (const c of gunzip) {
      inflated += (c as Buffer).length;
      if (inflated > maxInflated) {
        throw new HoldfastError('payload_too_large', `gzip body inflates to more than ${maxInflated} bytes, the limit for inflated bodies`, { maxInflatedBytes: maxInflated });
      }
      yield c as Buffer;
    }
  } finally {
    // Stop reading the sender's bytes too (an early stop would otherwise leave the source
    // suspended, its request body never released).
    input.destroy();
  }
}

/**
 * Numbered lines from a byte stream. CRLF and LF both end a line; a final line without a
 * newline is still a line; a UTF-8 BOM at the start is dropped. Invalid UTF-8 and over-long
 * lines are reported per line and reading continues. A corrupt or truncated gzip stream throws
 * HoldfastError('bad_request', reason gzip_corrupt), and one inflating past a BoundedByteSource's
 * bound throws HoldfastError('payload_too_large'): either way the whole input is refused, not cut.
 */
export async function* readLines(src: ByteSource, opts: ReadLinesOptions = {}): AsyncGenerator<LineItem> {
  for await (const batch of readLineBatches(src, opts)) yield* batch;
}

/**
 * The same lines as readLines, one array per input chunk: the hot path pays one async step per
 * chunk of bytes rather than one per line (per-line async generators cost about a fifth of
 * parse time on short log lines).
 */
export async function* readLineBatches(src: ByteSource, opts: ReadLinesOptions = {}): AsyncGenerator<LineItem[]> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let lineNo = 0;
  let parts: Buffer[] = [];
  let partsLen = 0;
  let skipping = false; // inside an over-long line, discarding up to its newline
  let skippedBytes = 0;
  let bomChecked = false;

  // `valid`: the bytes are known to be UTF-8 already (their whole chunk was checked at once).
  const emit = (buf: Buffer, start: number, end: number, valid = false): LineItem => {
    lineNo++;
    if (end > start && buf[end - 1] === 0x0d) end--;
    if (!bomChecked) {
      bomChecked = true;
      if (end - start >= 3 && buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3;
    }
    if (end - start > max) {
      return { lineNo, error: 'line_too_long', message: `line is ${end - start} bytes, limit ${max}` };
    }
    if (!valid && !isUtf8(buf.subarray(start, end))) return { lineNo, error: 'invalid_utf8', message: 'line is not valid UTF-8' };
    // `bytes` is a view of the chunk, not a copy: kept by events, it costs the garbage collector a
    // small object instead of a line-long string (see newJsonLineEvent).
    return { lineNo, text: buf.toString('utf8', start, end), bytes: buf.subarray(start, end) };
  };

  const tooLong = (): LineItem => {
    lineNo++;
    bomChecked = true;
    return { lineNo, error: 'line_too_long', message: `line exceeds ${max} bytes (${skippedBytes} bytes skipped)` };
  };

  const bytes = isBounded(src) ? src.bytes : src;
  const maxInflated = isBounded(src) ? src.maxInflatedBytes : Infinity;
  try {
    for await (const chunk of maybeGunzip(tapped(chunksOf(bytes), opts.onBytes), opts.detectGzip ?? true, maxInflated)) {
      const out: LineItem[] = [];
      let pos = 0;
      // One check per chunk instead of one per line: a line cut from valid UTF-8 at a newline is
      // valid. A chunk that fails (a bad line, or a character split across chunks) is checked
      // line by line.
      const chunkValid = isUtf8(chunk);
      while (pos < chunk.length) {
        const nl = chunk.indexOf(0x0a, pos);
        if (skipping) {
          if (nl === -1) {
            skippedBytes += chunk.length - pos;
            pos = chunk.length;
            break;
          }
          skippedBytes += nl - pos;
          out.push(tooLong());
          skipping = false;
          skippedBytes = 0;
          pos = nl + 1;
          continue;
        }
        if (nl === -1) {
          const rest = chunk.length - pos;
          // A trailing CR may still belong to a CRLF: allow one byte of slack over the limit.
          if (partsLen + rest > max + 1) {
            skipping = true;
            skippedBytes = partsLen + rest;
            parts = [];
            partsLen = 0;
          } else {
            parts.push(chunk.subarray(pos));
            partsLen += rest;
          }
          pos = chunk.length;
          break;
        }
        if (partsLen === 0) {
          out.push(emit(chunk, pos, nl, chunkValid));
        } else {
          parts.push(chunk.subarray(pos, nl));
          const line = Buffer.concat(parts, partsLen + (nl - pos));
          parts = [];
          partsLen = 0;
          out.push(emit(line, 0, line.length));
        }
        pos = nl + 1;
      }
      if (out.length) yield out;
    }
  } catch (e) {
    // Only the gunzip path throws from the source; an upstream stream error is re-thrown. A
    // corrupt or cut-short gzip body (an interrupted upload or copy) refuses the whole input: the
    // lines after the damage are lost, so committing those before it would be a silent partial batch.
    if (isZlibError(e)) {
      throw new HoldfastError('bad_request', `the gzip body is corrupt or cut short after line ${lineNo} (${(e as Error).message}): nothing was ingested; send the whole file`, { reason: 'gzip_corrupt', afterLine: lineNo });
    }
    throw e;
  }
  if (skipping) yield [tooLong()];
  else if (partsLen > 0) {
    const line = Buffer.concat(parts, partsLen);
    yield [emit(line, 0, line.length)];
  }
}

function isZlibError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('Z_');
}
