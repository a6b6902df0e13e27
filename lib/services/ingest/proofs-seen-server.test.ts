// DPoP replays across batches through the running server, as a shipper posts them: the first
// request's batch, then the next one with the same proof from two other requests (accepted: the
// gateway did not check; refused), and a fresh proof. Real ES256 proofs, POST /api/v1/ingest and
// GET /api/v1/events on `next start`, on both runtimes.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../../testing/databases.ts';
import { hasBuild, runCli, startServerProcess, type ServerProcess } from '../../testing/processes.ts';
import { dpopClient } from './testing/dpop-requests.ts';

const RUN = hasBuild() || process.env.CI === 'true';
const CLIENT = dpopClient('agent-9');
const PROOF = CLIENT.proof();
const FRESH = CLIENT.proof(2);
const rid = (n: number) => `${String(n).padStart(4, '0')}${'b2'.repeat(14)}`;
const line = (n: number, status: number, proof = PROOF) => CLIENT.line(rid(n), n * 500, status, proof);

describe.runIf(RUN)('DPoP replays across batches through the real server', { timeout: 300_000 }, () => {
  describe.each(RUNTIMES)('%s', (runtime) => {
    let server: ServerProcess | null = null;
    let key = '';
    let dataDir = '';
    let drop: () => Promise<void> = async () => {};

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-proofs-server-'));
      let env: Record<string, string> = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_DEMO: 'never', DATABASE_URL: '' };
      if (runtime === 'postgres') {
        const pg = await createPostgresTestDatabase({ migrated: true });
        drop = pg.drop;
        env = { ...env, DATABASE_URL: pg.url, HOLDFAST_SECRET_KEY: randomBytes(32).toString('base64') };
      }
      const k = await runCli(['apikey', 'create', '--name', 'shipper', '--role', 'operator', '--json'], { env });
      expect(k.code, k.stderr).toBe(0);
      key = (JSON.parse(k.stdout) as { key: string }).key;
      server = await startServerProcess(env);
    }, 240_000);

    afterAll(async () => {
      await server?.stop();
      await drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const post = async (lines: string[]) => {
      const res = await fetch(`${server!.url}/api/v1/ingest?format=nginx-json&source=edge`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body: lines.join('\n') + '\n',
      });
      const summary = (await res.json()) as { accepted: number; rejected: number };
      expect([res.status, summary.accepted, summary.rejected], JSON.stringify(summary)).toEqual([200, lines.length, 0]);
    };
    const verdictOf = async (n: number) => {
      const res = await fetch(`${server!.url}/api/v1/events?requestId=${rid(n)}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      const items = ((await res.json()) as { items: Array<{ verdict: string; reason: string | null }> }).items;
      return items.map((e) => [e.verdict, e.reason]);
    };

    it('the next batch\'s requests with the same proof are jti replays; a fresh proof is ok', async (ctx) => {
      if (!server) return ctx.skip();
      await post([line(1, 200)]);
      await post([line(2, 200), line(3, 401), line(4, 200, FRESH)]);
      expect(await verdictOf(1)).toEqual([['ok', null]]);
      expect(await verdictOf(2)).toEqual([['bound_not_enforced', 'jti_replay']]);
      expect(await verdictOf(3)).toEqual([['proof_invalid', 'jti_replay']]);
      expect(await verdictOf(4)).toEqual([['ok', null]]);
    });
  });
});
