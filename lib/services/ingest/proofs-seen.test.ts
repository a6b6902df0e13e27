// A DPoP proof replayed in a later batch (the next hourly file, a shipper's next post) is a jti
// replay, as it is inside one batch: the proofs a batch accepts are kept for the next ones. The
// request that first presented a proof is not a replay of itself when its batch is sent again.
// Real signed ES256 proofs, through ingestStream, on both runtimes.
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryReplayStore, proofReplayKey } from '../../binding/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { maintainEvidence } from '../evidence/maintenance.ts';
import { ingestStream } from './index.ts';
import { ProofsSeen } from './proofs-seen.ts';
import { dpopClient } from './testing/dpop-requests.ts';
import { allEvents } from './testing/stored-events.ts';

const CLIENT = dpopClient('agent-7');
const PROOF = CLIENT.proof();
const line = (rid: string, dt: number, status: number, proof = PROOF) => CLIENT.line(rid, dt, status, proof);
const rid = (n: number) => `${String(n).padStart(4, '0')}${'a1'.repeat(14)}`;

for (const runtime of RUNTIMES) {
  describe(`DPoP replays across batches (${runtime})`, () => {
    const dbs: TestDatabase[] = [];
    afterAll(async () => {
      for (const t of dbs.splice(0)) await t.drop();
    });

    it('the same proof from another request in the next batch is jti_replay; a fresh proof is ok; the first request stays ok', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const send = async (lines: string[]) => {
        const r = await ingestStream(t.db, [lines.join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
        expect(r, JSON.stringify(r.errors)).toMatchObject({ rejected: 0 });
        return r;
      };
      await send([line(rid(1), 0, 200)]);
      const fresh = CLIENT.proof(2);
      await send([line(rid(2), 1000, 200), line(rid(3), 1500, 401), line(rid(4), 2000, 200, fresh)]);
      const byId = new Map((await allEvents(t.db)).map((e) => [e.requestId, [e.verdict, e.reason]]));
      expect(Object.fromEntries([1, 2, 3, 4].map((n) => [n, byId.get(rid(n))]))).toEqual({
        1: ['ok', null],
        2: ['bound_not_enforced', 'jti_replay'],
        3: ['proof_invalid', 'jti_replay'],
        4: ['ok', null],
      });

      // What was kept: one row per proof accepted, with the request that presented it first.
      const kept = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."ProofSeen"`);
      expect(Number(kept[0]!.n)).toBe(2);
      const [first] = await t.db.query<{ request: string; usedAt: Date | string; expiresAt: Date | string }>(
        `SELECT encode(request, 'hex') AS request, "usedAt", "expiresAt" FROM "evidence"."ProofSeen" ORDER BY "expiresAt" LIMIT 1`,
      );
      const usedAt = new Date(first!.usedAt).getTime();
      const exec = async (sql: string, params: unknown[]) => ({ rows: await t.db.query(sql, params) });
      // Whether a request with this key presenting PROOF at `atMs` reads as a replay of the kept use.
      const replayed = async (request: string, atMs: number) => {
        const seen = new ProofsSeen(exec);
        await seen.seed([{ ev: { dpopProof: PROOF }, key: Buffer.from(request, 'hex') }]);
        return seen.recording(new MemoryReplayStore(), () => Buffer.from(request, 'hex')).remember(proofReplayKey(PROOF)!, new Date(first!.expiresAt).getTime(), atMs);
      };
      expect(await replayed(first!.request, usedAt + 1)).toBe(false); // the same request sent again: not a replay of itself
      expect(await replayed('00'.repeat(32), usedAt + 1)).toBe(true);
      expect(await replayed('00'.repeat(32), usedAt)).toBe(true);
      expect(await replayed('00'.repeat(32), usedAt - 1)).toBe(false); // earlier than the kept use: not a replay of it

      // Forgotten a day after the proof's window.
      await maintainEvidence(t.db, { now: new Date(Date.now() + 2 * 86_400_000) });
      expect(Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."ProofSeen"`))[0]!.n)).toBe(0);
    });
  });
}
