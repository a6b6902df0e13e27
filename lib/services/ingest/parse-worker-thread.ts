// The parse worker's thread (started by parse-worker.ts): the bytes the pipeline's thread reads
// come in, and the same lib/ingest parse stream runs here on them (line reading, gunzip, format
// detection, parseLine) together with each event's request key; parsed lines go back one message
// per input chunk (parse-wire.ts). Flow control both ways: `taken` when an input chunk is read, and
// no more than `aheadLines` lines ahead of what the pipeline has taken (a chunk of the pipeline's:
// it writes one chunk while it gathers the next, and the worker must not wait for the write).
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { HoldfastError } from '../../errors.ts';
import type { Cidr } from '../../hops/index.ts';
import { BatchRequestKeys } from '../../ingest/evidence/request-key.ts';
import { openParseStream, type ParseStreamOptions } from '../../ingest/parse-stream.ts';
import { parseTimeZone } from '../../ingest/time-zone.ts';
import type { NormalizedEvent } from '../../domain/types.ts';
import { newCertTable, toWire } from './parse-wire.ts';
import type { ToWorker, WorkerInit, WorkerError } from './parse-worker.ts';


const port = parentPort!;
const init = workerData as WorkerInit;
let nowMs = init.nowMs;
let proxies: readonly Cidr[] | null = null;
const input: Array<Buffer | null> = [];
let wakeInput: (() => void) | null = null;
let started: (() => void) | null = null;
const start = new Promise<void>((r) => (started = r));
/** Lines sent and not yet taken by the pipeline: at most init.aheadLines (and always one message). */
let unacked = 0;
// The body as received, hashed here rather than in the pipeline's thread.
const hash = createHash('sha256');
let size = 0;
let wakeAck: (() => void) | null = null;

port.on('message', (m: ToWorker) => {
  if (m.t === 'bytes') {
    nowMs = m.nowMs;
    input.push(Buffer.from(m.chunk));
    wakeInput?.();
  } else if (m.t === 'end') {
    input.push(null);
    wakeInput?.();
  } else if (m.t === 'start') {
    nowMs = m.nowMs;
    proxies = m.trustedProxies;
    started?.();
  } else if (m.t === 'ack') {
    unacked -= m.lines;
    wakeAck?.();
  }
});

async function* bytes(): AsyncGenerator<Buffer> {
  for (;;) {
    while (!input.length) await new Promise<void>((r) => (wakeInput = r));
    const c = input.shift()!;
    if (c === null) return;
    port.postMessage({ t: 'taken' });
    hash.update(c);
    size += c.length;
    yield c;
  }
}

function errorOf(e: unknown): WorkerError {
  const o = e as { name?: string; code?: unknown; message?: string; details?: unknown };
  return { holdfast: e instanceof HoldfastError, name: String(o?.name ?? 'Error'), code: typeof o?.code === 'string' ? o.code : undefined, message: String(o?.message ?? e), details: o?.details };
}

async function run(): Promise<void> {
  const opts: ParseStreamOptions = {
    ...init.opts,
    timeZone: init.timeZone ? parseTimeZone(init.timeZone) : null,
    now: () => new Date(nowMs),
    trustedProxies: () => proxies,
  };
  const src = Number.isFinite(init.maxInflatedBytes) ? { bytes: bytes(), maxInflatedBytes: init.maxInflatedBytes } : bytes();
  const opened = await openParseStream(src, opts);
  port.postMessage({ t: 'opened', format: opened.format, compiled: opened.compiled });
  await start;
  const keys = new BatchRequestKeys();
  const keyOf = (ev: NormalizedEvent) => keys.keyOf(ev);
  const certs = newCertTable();
  for await (const batch of opened.batches) {
    const w = toWire(batch, keyOf, certs);
    while (unacked > 0 && unacked + w.count > init.aheadLines) await new Promise<void>((r) => (wakeAck = r));
    unacked += w.count;
    port.postMessage({ t: 'batch', batch: w }, [w.bytes, w.keys]);
  }
  port.postMessage({ t: 'done', sha256: hash.digest('hex'), bytes: size });
}

run().catch((e) => port.postMessage({ t: 'error', error: errorOf(e) }));
