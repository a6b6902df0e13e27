// Memory stays flat on any batch size only if nothing outlives the chunk it was parsed from: events
// keep their line as a view of the input chunk (lib/ingest/event.ts newJsonLineEvent), so anything
// that holds an event until the batch ends (a usage accumulator did) holds every chunk instead.
// Here the input's chunks are watched with weak references while one batch is still running.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from './pipeline.ts';
import { nginxJsonLine } from './testing/generate.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const NOW = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
const CHUNK_LINES = 100; // ~40 KB per input chunk: each its own ArrayBuffer (Node pools only < 4 KB)
const INPUT_CHUNKS = 60;
const BATCH_CHUNK = 1000; // lines the pipeline parses before writing

describe('input release during one ingest batch (pglite)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('lets every input chunk go once its lines are written, while the batch is still open', async () => {
    const refs: Array<WeakRef<ArrayBuffer>> = [];
    let alive: number[] = [];
    async function* input(): AsyncGenerator<Buffer> {
      for (let c = 0; c < INPUT_CHUNKS; c++) {
        if (c === INPUT_CHUNKS - 5) {
          // 5,500 lines in, the pipeline has written at least four chunks of 1,000 lines: the first
          // ~3,000 lines' input is no one's any more. (Input chunk 0 is left out: the line reader's
          // gzip check, which reads it first, keeps it referenced until the stream ends; checked by
          // clearing those variables, which makes chunk 0 go too.)
          await new Promise((r) => setImmediate(r));
          gc();
          alive = refs.slice(1, 30).flatMap((w, i) => (w.deref() ? [i + 1] : []));
        }
        const lines = Array.from({ length: CHUNK_LINES }, (_, i) => nginxJsonLine(c * CHUNK_LINES + i)).join('\n') + '\n';
        const buf = Buffer.from(lines);
        refs.push(new WeakRef(buf.buffer));
        yield buf;
      }
    }
    const s = await ingestStream(t.db, input(), { format: 'nginx-json', sourceName: 'edge-1', actor: 'test', now: () => NOW, chunkSize: BATCH_CHUNK });
    expect(s.accepted).toBe(INPUT_CHUNKS * CHUNK_LINES);
    const [usage] = await t.db.query<{ n: number; rows: number }>(`SELECT sum(count)::int AS n, count(*)::int AS rows FROM evidence."Usage"`);
    // Usage keys were still being accumulated when the chunks were checked (flushed at the batch's end).
    expect(usage!.n).toBe(INPUT_CHUNKS * CHUNK_LINES);
    expect(usage!.rows).toBeGreaterThan(50);
    expect(alive, 'input chunks still held mid-batch').toEqual([]);
  });
});
