import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readLines, type LineItem } from './line-reader.ts';

type SeenLine = { lineNo: number; text: string } | Exclude<LineItem, { text: string }>;

/** The lines read, each checked to carry exactly the bytes its text decodes from (then left out). */
async function collect(src: Parameters<typeof readLines>[0], opts?: Parameters<typeof readLines>[1]): Promise<SeenLine[]> {
  const out: SeenLine[] = [];
  for await (const l of readLines(src, opts)) {
    if ('text' in l) {
      expect(Buffer.from(l.bytes).toString('utf8')).toBe(l.text);
      out.push({ lineNo: l.lineNo, text: l.text });
    } else out.push(l);
  }
  return out;
}

function chunks(...parts: (string | Uint8Array)[]): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
  })();
}

describe('readLines', () => {
  it('splits LF and CRLF, keeps a final line without newline, numbers from 1', async () => {
    expect(await collect(chunks('a\r\nb\n', 'c'))).toEqual([
      { lineNo: 1, text: 'a' },
      { lineNo: 2, text: 'b' },
      { lineNo: 3, text: 'c' },
    ]);
  });

  it('joins a line split across many chunks, including a CRLF split between chunks', async () => {
    expect(await collect(chunks('hel', 'lo wo', 'rld\r', '\nnext\n'))).toEqual([
      { lineNo: 1, text: 'hello world' },
      { lineNo: 2, text: 'next' },
    ]);
  });

  it('keeps empty lines as empty text and adds none after a trailing newline', async () => {
    expect(await collect(chunks('a\n\nb\n'))).toEqual([
      { lineNo: 1, text: 'a' },
      { lineNo: 2, text: '' },
      { lineNo: 3, text: 'b' },
    ]);
  });

  it('drops a UTF-8 BOM on the first line only', async () => {
    expect(await collect(chunks('\uFEFFa\n\uFEFFb'))).toEqual([
      { lineNo: 1, text: 'a' },
      { lineNo: 2, text: '\uFEFFb' },
    ]);
  });

  it('decodes a multi-byte character split across chunks', async () => {
    const euro = Buffer.from('€');
    expect(await collect(chunks(Buffer.from('x'), euro.subarray(0, 1), euro.subarray(1), Buffer.from('y\n')))).toEqual([{ lineNo: 1, text: 'x€y' }]);
  });

  it('reports invalid UTF-8 per line and continues', async () => {
    const out = await collect(chunks(Buffer.from('ok\n'), Buffer.from([0xff, 0xfe, 0x41, 0x0a]), Buffer.from('after\n')));
    expect(out).toEqual([
      { lineNo: 1, text: 'ok' },
      { lineNo: 2, error: 'invalid_utf8', message: expect.any(String) },
      { lineNo: 3, text: 'after' },
    ]);
  });

  it('rejects a line over the limit without buffering it, then resumes at the next line', async () => {
    const big = 'x'.repeat(100);
    const out = await collect(chunks('a\n', big.slice(0, 40), big.slice(40), '\nb\n', big), { maxLineBytes: 50 });
    expect(out).toEqual([
      { lineNo: 1, text: 'a' },
      { lineNo: 2, error: 'line_too_long', message: expect.stringContaining('50') },
      { lineNo: 3, text: 'b' },
      { lineNo: 4, error: 'line_too_long', message: expect.any(String) },
    ]);
  });

  it('rejects an over-long line contained in a single chunk', async () => {
    const out = await collect(chunks(`${'y'.repeat(20)}\nok\n`), { maxLineBytes: 10 });
    expect(out.map((l) => ('error' in l ? l.error : l.text))).toEqual(['line_too_long', 'ok']);
  });

  it('accepts a line of exactly the limit, with or without CR', async () => {
    const out = await collect(chunks(`${'z'.repeat(10)}\r\n${'z'.repeat(10)}`), { maxLineBytes: 10 });
    expect(out.map((l) => ('text' in l ? l.text.length : l.error))).toEqual([10, 10]);
  });

  it('skips a 10 MB single line with memory bounded by the limit', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    async function* gen() {
      yield Buffer.from('first\n');
      for (let i = 0; i < 160; i++) yield chunk; // 10 MiB, no newline
      yield Buffer.from('\nlast\n');
    }
    const out = await collect(gen());
    expect(out.map((l) => ('text' in l ? l.text : l.error))).toEqual(['first', 'line_too_long', 'last']);
  });

  it('gunzips input starting with the gzip magic bytes, even when the magic is split', async () => {
    const gz = gzipSync(Buffer.from('one\ntwo\r\nthree'));
    expect(await collect(chunks(gz.subarray(0, 1), gz.subarray(1, 7), gz.subarray(7)))).toEqual([
      { lineNo: 1, text: 'one' },
      { lineNo: 2, text: 'two' },
      { lineNo: 3, text: 'three' },
    ]);
  });

  it('refuses a corrupt gzip stream whole (bad_request, gzip_corrupt) instead of ending the input early', async () => {
    const gz = gzipSync(Buffer.from('one\ntwo\n'.repeat(100)));
    const broken = Buffer.concat([gz.subarray(0, 20), Buffer.alloc(30, 0x55)]);
    await expect(collect(chunks(broken))).rejects.toMatchObject({ name: 'HoldfastError', code: 'bad_request', details: { reason: 'gzip_corrupt' } });
  });

  it('refuses a gzip body cut short (an interrupted upload) after lines it could read', async () => {
    const gz = gzipSync(Buffer.from(Array.from({ length: 5000 }, (_, i) => `line ${i} of a log that compresses`).join('\n')));
    await expect(collect(chunks(gz.subarray(0, Math.floor(gz.length / 2))))).rejects.toMatchObject({ code: 'bad_request', message: expect.stringMatching(/cut short after line \d+/) });
  });

  describe('a gzip body with an inflated-size bound', () => {
    const text = 'line of a log\n'.repeat(1000); // 14,000 bytes inflated
    const gz = gzipSync(Buffer.from(text));

    it('is read whole when it inflates to exactly the bound', async () => {
      const out = await collect({ bytes: chunks(gz), maxInflatedBytes: text.length });
      expect(out).toHaveLength(1000);
    });

    it('is refused with payload_too_large when it inflates one byte past the bound, yielding no line over it', async () => {
      const seen: LineItem[] = [];
      let err: unknown;
      try {
        for await (const l of readLines({ bytes: chunks(gz), maxInflatedBytes: text.length - 1 })) seen.push(l);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'payload_too_large', details: { maxInflatedBytes: text.length - 1 } });
      expect(seen.length).toBeLessThan(1000);
    });

    it('stops reading the sender after a bomb passes the bound', async () => {
      // 16 gzip members of 64 MiB of zeros each (1 GiB inflated, about 1 MB sent), offered one
      // member at a time: reading must stop near the 1 MiB bound, not run through the body.
      const member = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
      let offered = 0;
      let released = false;
      async function* sender() {
        try {
          for (let i = 0; i < 16; i++) {
            offered++;
            yield member;
          }
        } finally {
          released = true;
        }
      }
      await expect(collect({ bytes: sender(), maxInflatedBytes: 1024 * 1024 })).rejects.toMatchObject({ code: 'payload_too_large' });
      expect(released).toBe(true);
      expect(offered).toBeLessThanOrEqual(2);
    });

    it('does not apply to a plain body', async () => {
      expect(await collect({ bytes: chunks(text), maxInflatedBytes: 10 })).toHaveLength(1000);
    });
  });

  it('reads a Node Readable, a web ReadableStream and string chunks', async () => {
    expect(await collect(Readable.from([Buffer.from('a\nb')]))).toHaveLength(2);
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('x\ny\n'));
        c.close();
      },
    });
    expect(await collect(web)).toEqual([
      { lineNo: 1, text: 'x' },
      { lineNo: 2, text: 'y' },
    ]);
    expect(await collect(['p\n', 'q'])).toHaveLength(2);
  });

  it('yields nothing for empty input', async () => {
    expect(await collect(chunks())).toEqual([]);
  });
});
