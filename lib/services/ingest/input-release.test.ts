// Memory stays flat on any batch size only if nothing outlives the chunk it was parsed from: events
// keep their line as a view of the input chunk (lib/ingest/event.ts newJsonLineEvent), so anything
// that holds an event until the batch ends (a usage accumulator did) holds every chunk instead.
// The input's chunks are watched with weak references while one batch is still running, in a
// process of its own (testing/input-release-child.ts): what a garbage collection frees is a
// property of the whole process, and this test's worker has run other test files before it.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from '../../testing/processes.ts';

const CHILD = fileURLToPath(new URL('./testing/input-release-child.ts', import.meta.url));
const CHUNK_LINES = 100; // ~40 KB per input chunk: each its own ArrayBuffer (Node pools only < 4 KB)
const INPUT_CHUNKS = 60; // the child looks 5,500 lines in; the pipeline writes 1,000 lines at a time

describe('input release during one ingest batch (pglite)', () => {
  it('lets every input chunk go once its lines are written, while the batch is still open', async () => {
    const r = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, String(INPUT_CHUNKS), String(CHUNK_LINES)], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { accepted: number; usage: number; usageRows: number; alive: number[] };
    expect(out.accepted).toBe(INPUT_CHUNKS * CHUNK_LINES);
    // Usage keys were still being accumulated when the chunks were checked (flushed at the batch's end).
    expect(out.usage).toBe(INPUT_CHUNKS * CHUNK_LINES);
    expect(out.usageRows).toBeGreaterThan(50);
    expect(out.alive, 'input chunks still held mid-batch').toEqual([]);
  }, 180_000);
});
