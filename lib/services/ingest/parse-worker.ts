// The parse of a large ingest on the second core (issue #15): the pipeline's thread reads the
// source's bytes and hands them to a worker thread (parse-worker-thread.ts) that runs the same
// lib/ingest parse stream and computes each event's request key, while this thread decides verdicts
// and writes. What the pipeline gets is what openParseStream would give it (parse-wire.ts), with
// each event's key computed already. Only for inputs of at least `minBytes` (as received, before
// any gunzip): the first `minBytes` are read ahead to tell; a shorter input is parsed in this thread
// as before, since starting a worker costs more than parsing it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { HoldfastError, type HoldfastErrorCode } from '../../errors.ts';
import type { Cidr } from '../../hops/index.ts';
import { sourceChunks, type ByteSource } from '../../ingest/line-reader.ts';
import { openParseStream, type CompiledLogFormatInfo, type OpenedParseStream, type ParseStreamOptions } from '../../ingest/parse-stream.ts';
import type { FormatName } from '../../ingest/types.ts';
import { fromWire, newCertTable, type KeyedLine, type WireBatch } from './parse-wire.ts';

/** Input read ahead before a worker is worth starting (measured: bench/ingest.bench.ts, docs in the commit). */
export const PARSE_WORKER_MIN_BYTES = 16 * 1024 * 1024;
/** Input chunks handed to the worker and not yet read by it: enough that it never waits for this thread (busy writing a chunk, or running PGlite) to hand it more. */
const CHUNKS_AHEAD = 64;

export interface ParseWorkerOptions {
  /** Parse in a worker only when the input has at least this many bytes (default PARSE_WORKER_MIN_BYTES). */
  minBytes?: number;
  /** Lines the worker may parse ahead of the pipeline (default 10,000): the pipeline's chunk, so it never waits for a chunk's write. */
  aheadLines?: number;
}

/** The worker's start options: the parse options that are data (the clock and trusted proxies follow by message). */
export interface WorkerInit {
  opts: Omit<ParseStreamOptions, 'onBytes' | 'now' | 'trustedProxies' | 'timeZone'>;
  timeZone: string | null;
  maxInflatedBytes: number;
  nowMs: number;
  /** Lines the worker may parse ahead of what the pipeline has taken. */
  aheadLines: number;
}

export type ToWorker =
  | { t: 'bytes'; chunk: ArrayBuffer; nowMs: number }
  | { t: 'end' }
  | { t: 'start'; trustedProxies: readonly Cidr[] | null; nowMs: number }
  | { t: 'ack'; lines: number };

export interface WorkerError {
  holdfast: boolean;
  name: string;
  code?: string;
  message: string;
  details?: unknown;
}

type FromWorker =
  | { t: 'taken' }
  | { t: 'opened'; format: FormatName; compiled?: CompiledLogFormatInfo }
  | { t: 'batch'; batch: WireBatch }
  | { t: 'done'; sha256: string; bytes: number }
  | { t: 'error'; error: WorkerError };

/** What the pipeline gets: openParseStream's answer, lines keyed when they were parsed in the worker. */
export interface OpenedKeyedParseStream extends Omit<OpenedParseStream, 'batches' | 'results'> {
  batches: AsyncGenerator<KeyedLine[]>;
  /** Whether the lines are parsed in a worker thread. */
  inWorker: boolean;
  /** Stops the worker (and the reading of the source) if `batches` was never read to its end; call it once done. */
  close(): Promise<void>;
  /** SHA-256 (hex) and size of the input exactly as received (before any gunzip), once `batches` has ended. */
  body(): { sha256: string; bytes: number };
}

/**
 * Where the worker's module is: beside this one when it runs from its TypeScript source (tsx,
 * vitest: the worker loads tsx first), else the bundle's own entry beside the chunk this code is in
 * (scripts/build-bundles.mjs). Null when there is none (another bundler): then no worker.
 */
function workerEntry(): { file: string; tsx: boolean } | null {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { file: fileURLToPath(new URL('./parse-worker-thread.ts', here)), tsx: true };
  const file = fileURLToPath(new URL('./ingest-parse-worker.mjs', here));
  return existsSync(file) ? { file, tsx: false } : null;
}

function startWorker(entry: { file: string; tsx: boolean }, init: WorkerInit): Worker {
  // A young generation as large as the CLI's and the server's (--max-semi-space-size=32, bin/holdfast.mjs):
  // a chunk's events die young instead of being copied into the old generation.
  const resourceLimits = { maxYoungGenerationSizeMb: 96 };
  if (!entry.tsx) return new Worker(entry.file, { workerData: init, resourceLimits });
  // Node 20 loads a worker's entry before any --import of its execArgv: register tsx, then import it.
  const tsx = tsxEsmApi();
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(pathToFileURL(entry.file).href)}); })`;
  return new Worker(code, { eval: true, workerData: init, resourceLimits });
}

/** tsx's ESM register module (its package's `./esm/api` import export; `require.resolve` would give the CommonJS one). */
function tsxEsmApi(): string {
  const pkgFile = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as { exports: Record<string, { import: { default: string } }> };
  return new URL(pkg.exports['./esm/api']!.import.default, pathToFileURL(pkgFile)).href;
}

function rebuildError(e: WorkerError): Error {
  if (e.holdfast) return new HoldfastError(e.code as HoldfastErrorCode, e.message, e.details);
  return Object.assign(new Error(e.message), { name: e.name, ...(e.code ? { code: e.code } : {}) });
}

/**
 * openParseStream, in a worker thread when `worker` is given and the input has at least its
 * `minBytes`; else in this thread, exactly as openParseStream.
 */
export async function openKeyedParseStream(src: ByteSource, opts: ParseStreamOptions, worker: ParseWorkerOptions | null | undefined): Promise<OpenedKeyedParseStream> {
  const entry = worker ? workerEntry() : null;
  // In this thread the body is hashed as the line reader reads it; a worker hashes it itself (SHA-256 of
  // every byte received was ~2 µs a line of this thread's time on NGINX mTLS logs).
  const hash = createHash('sha256');
  let size = 0;
  const inThread = (o: OpenedParseStream): OpenedKeyedParseStream => ({
    format: o.format, ...(o.compiled ? { compiled: o.compiled } : {}), batches: o.batches, inWorker: false, close: async () => {},
    body: () => ({ sha256: hash.digest('hex'), bytes: size }),
  });
  const tapped: ParseStreamOptions = {
    ...opts,
    onBytes: (c) => {
      hash.update(c);
      size += c.length;
      opts.onBytes?.(c);
    },
  };
  if (!worker || !entry) return inThread(await openParseStream(src, tapped));
  const minBytes = worker.minBytes ?? PARSE_WORKER_MIN_BYTES;
  const { chunks, maxInflatedBytes } = sourceChunks(src);
  const ahead: Buffer[] = [];
  let aheadBytes = 0;
  let ended = false;
  let readError: unknown = null;
  while (aheadBytes < minBytes) {
    try {
      const n = await chunks.next();
      if (n.done) {
        ended = true;
        break;
      }
      ahead.push(n.value);
      aheadBytes += n.value.length;
    } catch (e) {
      readError = e;
      break;
    }
  }
  // The bytes read ahead, then the rest (or the error the source failed with, where it failed).
  async function* replay(): AsyncGenerator<Buffer> {
    yield* ahead.splice(0);
    if (readError) throw readError;
    if (!ended) yield* chunks;
  }
  const rest = Number.isFinite(maxInflatedBytes) ? { bytes: replay(), maxInflatedBytes } : replay();
  if (ended || readError) return inThread(await openParseStream(rest, tapped));

  const now = opts.now ?? (() => new Date());
  const { onBytes: _o, now: _n, trustedProxies: _t, timeZone, ...data } = opts;
  const w = startWorker(entry, { opts: data, timeZone: timeZone?.name ?? null, maxInflatedBytes, nowMs: now().getTime(), aheadLines: worker.aheadLines ?? 10_000 });
  const post = (m: ToWorker, transfer?: ArrayBuffer[]) => w.postMessage(m, transfer);

  // Messages from the worker, and the pump's own failure, in one queue.
  const inbox: Array<FromWorker | { t: 'failed'; error: unknown }> = [];
  let wake: (() => void) | null = null;
  const push = (m: (typeof inbox)[number]) => {
    inbox.push(m);
    wake?.();
  };
  let taken = 0;
  let wakePump: (() => void) | null = null;
  w.on('message', (m: FromWorker) => {
    if (m.t === 'taken') {
      taken++;
      wakePump?.();
    } else push(m);
  });
  w.on('error', (error) => push({ t: 'failed', error }));
  w.on('exit', (code) => push({ t: 'failed', error: new Error(`the ingest parse worker stopped (exit code ${code})`) }));
  const next = async () => {
    while (!inbox.length) await new Promise<void>((r) => (wake = r));
    return inbox.shift()!;
  };

  // The source's bytes to the worker, each chunk seen by onBytes first (as the line reader does), at most CHUNKS_AHEAD unread.
  let stopped = false;
  const pump = (async () => {
    let sent = 0;
    try {
      for await (const chunk of replay()) {
        if (stopped) return;
        opts.onBytes?.(chunk);
        // A copy of its own to transfer: the chunk's backing store may be shared (a pool, the stream's).
        const copy = new Uint8Array(chunk.length);
        copy.set(chunk);
        post({ t: 'bytes', chunk: copy.buffer, nowMs: now().getTime() }, [copy.buffer]);
        sent++;
        while (sent - taken > CHUNKS_AHEAD && !stopped) await new Promise<void>((r) => (wakePump = r));
      }
      if (!stopped) post({ t: 'end' });
    } catch (error) {
      push({ t: 'failed', error });
    }
  })();
  // The pump sees `stopped` after its current chunk and closes the source; it is not waited for (a
  // stalled sender would hold the batch's end).
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    wakePump?.();
    void pump;
    await w.terminate();
  };

  const first = await next();
  if (first.t !== 'opened') {
    await stop();
    throw first.t === 'error' ? rebuildError(first.error) : first.t === 'failed' ? first.error : new Error(`ingest parse worker: unexpected ${first.t}`);
  }
  let body: { sha256: string; bytes: number } | null = null;
  async function* batches(): AsyncGenerator<KeyedLine[]> {
    const certs = newCertTable();
    try {
      // The trusted proxies are known once the pipeline reads the first lines (inside its transaction).
      post({ t: 'start', trustedProxies: opts.trustedProxies?.() ?? null, nowMs: now().getTime() });
      for (;;) {
        const m = await next();
        if (m.t === 'batch') {
          yield fromWire(m.batch, certs);
          post({ t: 'ack', lines: m.batch.count });
        } else if (m.t === 'done') {
          body = { sha256: m.sha256, bytes: m.bytes };
          return;
        }
        else if (m.t === 'error') throw rebuildError(m.error);
        else if (m.t === 'failed') throw m.error;
      }
    } finally {
      await stop();
    }
  }
  return { format: first.format, ...(first.compiled ? { compiled: first.compiled } : {}), batches: batches(), inWorker: true, close: stop,
    body: () => {
      if (!body) throw new Error('the input was not read to its end');
      return body;
    },
  };
}
