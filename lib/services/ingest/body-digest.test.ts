// The body's SHA-256 is the same whether it is hashed here or on the worker thread, whatever the
// chunking, and a buffer the caller reuses after update does not change it.
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BodyDigest } from './body-digest.ts';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('BodyDigest', () => {
  it.each([
    ['empty, never offloaded', 0, 1024],
    ['small, hashed on this thread', 3000, 1 << 20],
    ['past the threshold, on the worker', 300_000, 1000],
    ['exactly at the threshold', 4096, 4096],
  ])('%s', async (_name, size, offloadAfter) => {
    const body = randomBytes(size);
    const d = new BodyDigest(offloadAfter);
    // Uneven chunks, each from a buffer the caller overwrites right after (as a pooled reader may).
    const scratch = Buffer.alloc(7919);
    for (let at = 0; at < body.length; ) {
      const n = Math.min(1 + ((at * 31) % 7919), body.length - at);
      body.copy(scratch, 0, at, at + n);
      d.update(scratch.subarray(0, n));
      scratch.fill(0xa5);
      at += n;
    }
    expect(await d.digest()).toBe(sha256(body));
    // Asked again: the same answer, no second worker round trip.
    expect(await d.digest()).toBe(sha256(body));
  });

  it('refuses more bytes once its digest is taken, and close() stops a worker mid-body', async () => {
    const d = new BodyDigest(10);
    d.update(Buffer.from('0123456789abcdef'));
    d.close();
    const e = new BodyDigest(10);
    await e.digest();
    expect(() => e.update(Buffer.from('x'))).toThrow(/already taken/);
  });
});
