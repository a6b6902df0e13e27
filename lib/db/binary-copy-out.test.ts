import { describe, expect, it } from 'vitest';
import { BinaryCopyParser } from './binary-copy-out.ts';

/** COPY binary output of rows of (int4, bytea|null), as PostgreSQL writes it. */
function copyOutput(rows: Array<[number, Buffer | null]>): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])];
  for (const [n, b] of rows) {
    const head = Buffer.alloc(2 + 4 + 4 + 4);
    head.writeInt16BE(2, 0);
    head.writeInt32BE(4, 2);
    head.writeInt32BE(n, 6);
    head.writeInt32BE(b ? b.length : -1, 10);
    parts.push(head, ...(b ? [b] : []));
  }
  parts.push(Buffer.from([0xff, 0xff]));
  return Buffer.concat(parts);
}

describe('BinaryCopyParser', () => {
  const rows: Array<[number, Buffer | null]> = Array.from({ length: 50 }, (_, i) => [i * 1000 - 7, i % 4 ? Buffer.alloc(i, i) : null]);
  const out = copyOutput(rows);

  it('reads every tuple whatever the chunk boundaries', () => {
    for (const size of [1, 2, 3, 7, 64, out.length]) {
      const got: Array<[number, Buffer | null]> = [];
      const p = new BinaryCopyParser(2, (buf, off, len) => got.push([buf.readInt32BE(off[0]!), len[1]! < 0 ? null : Buffer.from(buf.subarray(off[1]!, off[1]! + len[1]!))]));
      for (let i = 0; i < out.length; i += size) p.push(out.subarray(i, i + size));
      p.end();
      expect(got).toEqual(rows);
    }
  });

  it('refuses output that ends early or has another shape', () => {
    const p = new BinaryCopyParser(2, () => {});
    p.push(out.subarray(0, out.length - 5));
    expect(() => p.end()).toThrow(/ended early/);
    expect(() => new BinaryCopyParser(3, () => {}).push(out)).toThrow(/2 fields, expected 3/);
  });
});
