// `holdfast apikey create … [--dpop-jkt J]` through the real binary: the CONTRACT shape is
// unchanged ({ id, key }), the key is stored bound to the thumbprint, a malformed thumbprint is
// exit 2 with one line and creates nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../testing/processes.ts';

const JKT = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';

describe('holdfast apikey create --dpop-jkt', () => {
  let dir = '';
  let env: Record<string, string>;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-apikey-'));
    env = { HOLDFAST_DATA_DIR: dir };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a bound key with the contract output, and refuses a malformed thumbprint with exit 2', async () => {
    const r = await runCli(['apikey', 'create', '--name', 'edge', '--role', 'analyst', '--scope', 'ingest', '--dpop-jkt', JKT, '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; key: string };
    expect(Object.keys(out).sort()).toEqual(['id', 'key']);
    expect(out.key).toMatch(/^hf_/);
    const bad = await runCli(['apikey', 'create', '--name', 'edge2', '--role', 'analyst', '--dpop-jkt', 'nope', '--json'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('--dpop-jkt');
    const { openDatabase } = await import('../../db/open.ts');
    const db = await openDatabase({ kind: 'pglite', dataDir: dir });
    try {
      const rows = await db.prisma.apiKey.findMany({ select: { id: true, name: true, dpopJkt: true } });
      expect(rows).toEqual([{ id: out.id, name: 'edge', dpopJkt: JKT }]);
    } finally {
      await db.close();
    }
  }, 240_000);
});
