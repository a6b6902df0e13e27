// Reads `COPY (…) TO STDOUT (FORMAT binary)` as it streams (PostgreSQL only): no text for either
// side to format or parse, and no object per value — a tuple's fields are handed over as offsets
// into the chunk, for the caller to read what it needs (readInt32BE, uuid bytes, …).
// Format: PostgreSQL docs, "COPY — Binary Format": an 11-byte signature, flags, a header extension,
// then tuples (int16 field count, each field an int32 length, -1 for NULL, and its bytes), then -1.
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A tuple's fields: field k is buf[off[k] … off[k] + len[k]), len[k] = -1 for NULL. */
export type TupleHandler = (buf: Buffer, off: Int32Array, len: Int32Array) => void;

export class BinaryCopyParser {
  #buf: Buffer = Buffer.alloc(0);
  #header = false;
  #done = false;
  readonly #off: Int32Array;
  readonly #len: Int32Array;
  tuples = 0;

  constructor(
    readonly fields: number,
    readonly onTuple: TupleHandler,
  ) {
    this.#off = new Int32Array(fields);
    this.#len = new Int32Array(fields);
  }

  push(chunk: Buffer): void {
    const buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let pos = 0;
    if (!this.#header) {
      if (buf.length < 19) return void (this.#buf = buf);
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY output is not in binary format');
      const ext = buf.readInt32BE(15);
      if (buf.length < 19 + ext) return void (this.#buf = buf);
      pos = 19 + ext;
      this.#header = true;
    }
    const off = this.#off;
    const len = this.#len;
    for (;;) {
      if (this.#done || buf.length - pos < 2) break;
      const n = buf.readInt16BE(pos);
      if (n === -1) {
        this.#done = true;
        pos += 2;
        break;
      }
      if (n !== this.fields) throw new Error(`COPY tuple has ${n} fields, expected ${this.fields}`);
      let p = pos + 2;
      let complete = true;
      for (let k = 0; k < n; k++) {
        if (buf.length - p < 4) {
          complete = false;
          break;
        }
        const l = buf.readInt32BE(p);
        p += 4;
        off[k] = p;
        len[k] = l;
        if (l > 0) {
          if (buf.length - p < l) {
            complete = false;
            break;
          }
          p += l;
        }
      }
      if (!complete) break;
      this.onTuple(buf, off, len);
      this.tuples++;
      pos = p;
    }
    this.#buf = pos < buf.length ? Buffer.from(buf.subarray(pos)) : Buffer.alloc(0);
  }

  end(): void {
    if (!this.#done || this.#buf.length) throw new Error('COPY output ended early');
  }
}

/** Runs `COPY (select) TO STDOUT (FORMAT binary)` on the client and hands each tuple to `onTuple`. */
export async function copyOutBinary(client: pg.ClientBase, select: string, fields: number, onTuple: TupleHandler): Promise<number> {
  const parser = new BinaryCopyParser(fields, onTuple);
  const stream = client.query(copyStreams.to(`COPY (${select}) TO STDOUT (FORMAT binary)`));
  for await (const chunk of stream as AsyncIterable<Buffer>) parser.push(chunk);
  parser.end();
  return parser.tuples;
}
