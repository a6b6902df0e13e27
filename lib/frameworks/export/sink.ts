// Writes chunks to a Writable with backpressure, hashing exactly the bytes written.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';

const TARGET_CHUNK = 64 * 1024;

/** Joins many small strings into ~64 KiB chunks: one write per chunk, not per row. */
export async function* batched(parts: AsyncIterable<string>): AsyncGenerator<string> {
  let buf: string[] = [];
  let len = 0;
  for await (const p of parts) {
    buf.push(p);
    len += p.length;
    if (len >= TARGET_CHUNK) {
      yield buf.join('');
      buf = [];
      len = 0;
    }
  }
  if (len > 0) yield buf.join('');
}

/** Waits for 'drain' (or rejects on 'error'), removing both listeners either way: a race of two
 *  `once()` promises would leave one listener behind per full buffer on long exports. */
function drainOrError(sink: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      sink.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      sink.off('drain', onDrain);
      reject(e);
    };
    sink.once('drain', onDrain);
    sink.once('error', onError);
  });
}

export interface WriteOutcome {
  sha256: string;
  bytes: number;
}

/** Streams chunks into `sink` (awaiting 'drain' when it is full) and ends it. */
export async function writeChunks(chunks: AsyncIterable<string | Uint8Array>, sink: Writable, opts: { end?: boolean } = {}): Promise<WriteOutcome> {
  const hash = createHash('sha256');
  let bytes = 0;
  let failed: Error | null = null;
  const onError = (e: Error) => {
    failed = e;
  };
  sink.on('error', onError);
  try {
    for await (const c of chunks) {
      if (failed) throw failed;
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      hash.update(buf);
      bytes += buf.length;
      if (!sink.write(buf)) await drainOrError(sink);
    }
    if (opts.end !== false) {
      const finished = once(sink, 'finish');
      sink.end();
      await finished;
    }
    if (failed) throw failed;
  } finally {
    sink.off('error', onError);
  }
  return { sha256: hash.digest('hex'), bytes };
}
