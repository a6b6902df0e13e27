// The SHA-256 of an ingest body exactly as received (the batch's evidence of what was ingested).
// Hashing runs at ~1 GB/s, one core: for a realistic NGINX mTLS log (~1.9 KB a line) it was ~6 %
// of the ingest's one JavaScript thread (issue #15). A body past OFFLOAD_AFTER_BYTES is hashed on
// a worker thread instead, on the machine's other core, while this thread parses and writes; a
// small body (most API batches, every test) is hashed here, with no thread started for it.
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** Bytes held back before the worker is started (and hashed here if the body ends before). */
export const OFFLOAD_AFTER_BYTES = 4 * 1024 * 1024;

// CommonJS, evaluated as is: no loader needed in the worker. null ends the body.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const h = require('node:crypto').createHash('sha256');
parentPort.on('message', (m) => (m === null ? parentPort.postMessage(h.digest('hex')) : h.update(m)));
`;

export class BodyDigest {
  private held: Array<Uint8Array<ArrayBuffer>> = [];
  private heldBytes = 0;
  private worker: Worker | null = null;
  private result: Promise<string> | null = null;

  constructor(private readonly offloadAfter = OFFLOAD_AFTER_BYTES) {}

  /** Adds the next chunk of the body (copied: the caller may reuse its buffer). */
  update(chunk: Uint8Array): void {
    if (this.result) throw new Error('body digest already taken');
    // A copy of its own, so the worker can take it over (transfer) without a second copy.
    const own = new Uint8Array(chunk);
    if (this.worker) {
      this.worker.postMessage(own, [own.buffer]);
      return;
    }
    this.held.push(own);
    this.heldBytes += own.length;
    if (this.heldBytes > this.offloadAfter) this.startWorker();
  }

  private startWorker(): void {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // Never what keeps the process alive (a failed batch that forgets close() included).
    worker.unref();
    this.worker = worker;
    for (const c of this.held) worker.postMessage(c, [c.buffer]);
    this.held = [];
  }

  /** The hex SHA-256 of everything added; call once, after the last chunk. */
  digest(): Promise<string> {
    if (this.result) return this.result;
    const worker = this.worker;
    if (!worker) {
      const h = createHash('sha256');
      for (const c of this.held) h.update(c);
      this.held = [];
      this.result = Promise.resolve(h.digest('hex'));
      return this.result;
    }
    this.result = new Promise<string>((resolve, reject) => {
      worker.once('message', (hex: string) => resolve(hex));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`body digest worker exited (${code})`)));
      worker.postMessage(null);
    }).finally(() => this.close());
    return this.result;
  }

  /** Stops the worker, if any (a batch that fails before its digest calls this). */
  close(): void {
    this.held = [];
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
  }
}
