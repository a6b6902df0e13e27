// The embedded database opens with the shared buffers its target asks for, else initdb's 128MB.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { seedEmbeddedDataDir } from '../testing/embedded-data-dir.ts';
import { openDatabase } from './open.ts';
import { SHORT_LIVED_SHARED_BUFFERS } from './target.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'holdfast-buffers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sharedBuffers(target: Parameters<typeof openDatabase>[0]): Promise<string> {
  const db = await openDatabase(target);
  try {
    const [row] = await db.query<{ shared_buffers: string }>('show shared_buffers');
    return row!.shared_buffers;
  } finally {
    await db.close();
  }
}

describe('openDatabase on a PGlite directory', () => {
  it('uses sharedBuffers for this start only, and the default again without it', async () => {
    await seedEmbeddedDataDir({ HOLDFAST_DATA_DIR: dir, DATABASE_URL: undefined });
    expect(await sharedBuffers({ kind: 'pglite', dataDir: dir, sharedBuffers: SHORT_LIVED_SHARED_BUFFERS })).toBe('32MB');
    expect(await sharedBuffers({ kind: 'pglite', dataDir: dir })).toBe('128MB');
  });
});
