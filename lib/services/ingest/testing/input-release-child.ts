// Run by input-release.test.ts in a process of its own (node --expose-gc --import tsx CHILD
// INPUT_CHUNKS CHUNK_LINES): one ingest batch on an in-memory PGlite whose input chunks are watched
// with weak references while the batch is still running. Prints one JSON line:
// { accepted, usage, usageRows, alive }.
import { openTestDatabase } from '../../../testing/databases.ts';
import { ingestStream } from '../pipeline.ts';
import { nginxJsonLine } from './generate.ts';

const NOW = new Date(Date.UTC(2026, 10, 22, 12, 0, 0));
const [INPUT_CHUNKS, CHUNK_LINES] = process.argv.slice(2).map(Number) as [number, number];
const BATCH_CHUNK = 1000; // lines the pipeline parses before writing

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const t = await openTestDatabase('pglite');
try {
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
        gc!();
        alive = refs.slice(1, 30).flatMap((w, i) => (w.deref() ? [i + 1] : []));
      }
      const lines = Array.from({ length: CHUNK_LINES }, (_, i) => nginxJsonLine(c * CHUNK_LINES + i)).join('\n') + '\n';
      const buf = Buffer.from(lines);
      refs.push(new WeakRef(buf.buffer));
      yield buf;
    }
  }
  const s = await ingestStream(t.db, input(), { format: 'nginx-json', sourceName: 'edge-1', actor: 'test', now: () => NOW, chunkSize: BATCH_CHUNK });
  const [usage] = await t.db.query<{ n: number; rows: number }>(`SELECT sum(count)::int AS n, count(*)::int AS rows FROM evidence."Usage"`);
  process.stdout.write(`${JSON.stringify({ accepted: s.accepted, usage: usage!.n, usageRows: usage!.rows, alive })}\n`);
} finally {
  await t.drop();
}
