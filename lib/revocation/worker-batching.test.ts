// The worker claims legs in batches, runs them concurrently and records their outcomes
// together (one transaction per group of finished legs). These tests pin what batching must
// not weaken: several workers on one database never send the same leg twice; one failing leg
// in a batch leaves the others confirmed and itself retrying; completions of many revocations
// written together keep the audit chain intact; a leg that could outlive its lease is not sent.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify-audit-chain.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { requestRevocation } from './request-revocation.ts';
import { runRevocationWorker, type RevocationWorkerOptions } from './run-revocation-worker.ts';
import { makeIdentity, makeToken, startWebhookReceiver, type WebhookReceiver } from './testing/fixtures.ts';

const key = randomBytes(32);
const HMAC = 'batching-webhook-secret-0001';

for (const runtime of RUNTIMES) {
  describe(`batched revocation worker on ${runtime}`, async () => {
    const available = runtime === 'pglite' || (await postgresAvailable());
    let t: TestDatabase;
    let hook: WebhookReceiver;
    const worker = (extra: Partial<RevocationWorkerOptions> = {}): RevocationWorkerOptions => ({
      connectors: dbConnectorResolver(t.db, key),
      key,
      workerId: 'w1',
      baseDelayMs: 1,
      maxDelayMs: 5,
      timeoutMs: 8000,
      ...extra,
    });
    const open = () => t.db.prisma.revocationLeg.count({ where: { state: { in: ['pending', 'in_progress'] } } });
    const drain = async (opts: RevocationWorkerOptions, rounds = 60) => {
      for (let i = 0; i < rounds; i++) {
        const p = await runRevocationWorker(t.db, opts);
        if (p.claimed === 0) {
          if (!(await open())) return;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    const tokens = async (n: number) => {
      const id = await makeIdentity(t.db);
      const ids: string[] = [];
      for (let i = 0; i < n; i++) ids.push((await makeToken(t.db, id.id)).token.id);
      return ids;
    };

    beforeAll(async () => {
      if (!available) return;
      t = await openTestDatabase(runtime);
      hook = await startWebhookReceiver(HMAC);
      await createConnector(t.db, key, { name: 'hook', kind: 'webhook', matchIssuer: '*', config: { url: hook.url }, secrets: { hmacSecret: HMAC } }, 'test');
    });
    afterAll(async () => {
      await hook?.close();
      await t?.drop();
    });

    it.skipIf(!available)('four workers with large batches and 8 legs in flight each, at once: every leg sent exactly once, one completion', async () => {
      hook.mode = 'ok';
      hook.failLegIds.clear();
      hook.calls.length = 0;
      hook.delayMs = 5; // calls overlap across workers
      const ids = await tokens(120);
      const r = await requestRevocation(t.db, key, { tokenIds: ids, reason: 'bulk', actor: 'a' });
      await Promise.all(['a', 'b', 'c', 'd'].map((w) => drain(worker({ workerId: w, batchSize: 40, concurrency: 8 }))));
      hook.delayMs = 0;
      const legs = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      expect(legs).toHaveLength(120);
      expect(legs.filter((l) => l.state !== 'confirmed' || l.attempts !== 1 || l.claimedBy !== null)).toEqual([]);
      const calls = hook.calls.filter((c) => legs.some((l) => l.id === c.legId));
      expect(calls).toHaveLength(120);
      expect(new Set(calls.map((c) => c.legId)).size).toBe(120);
      const rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id } });
      expect(rev.state).toBe('confirmed');
      expect(await t.db.prisma.auditEntry.count({ where: { action: 'revocation.complete', target: `revocation:${r.id}` } })).toBe(1);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it.skipIf(!available)('one failing leg in a batch: the others are confirmed, it retries (partial), then completes', async () => {
      hook.mode = 'ok';
      hook.calls.length = 0;
      const ids = await tokens(12);
      const r = await requestRevocation(t.db, key, { tokenIds: ids, reason: 'one bad', actor: 'a' });
      const bad = (await t.db.prisma.revocationLeg.findFirstOrThrow({ where: { revocationId: r.id, tokenId: ids[5] } })).id;
      hook.failLegIds.add(bad);
      const pass = await runRevocationWorker(t.db, worker({ batchSize: 50, concurrency: 4 }));
      expect(pass).toMatchObject({ claimed: 12, confirmed: 11, retrying: 1, failed: 0, released: 0 });
      let legs = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      expect(legs.filter((l) => l.id !== bad).every((l) => l.state === 'confirmed' && l.attempts === 1 && l.confirmedAt)).toBe(true);
      expect(legs.find((l) => l.id === bad)).toMatchObject({ state: 'in_progress', attempts: 1, lastError: 'webhook: HTTP 500', claimedBy: null, claimedUntil: null, confirmedAt: null });
      let rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id } });
      expect(rev).toMatchObject({ state: 'partial', completedAt: null });
      expect(await t.db.prisma.auditEntry.count({ where: { action: 'revocation.complete', target: `revocation:${r.id}` } })).toBe(0);

      hook.failLegIds.clear();
      await new Promise((res) => setTimeout(res, 20));
      await drain(worker());
      legs = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      expect(legs.find((l) => l.id === bad)).toMatchObject({ state: 'confirmed', attempts: 2, lastError: null });
      rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id } });
      expect(rev.state).toBe('confirmed');
      expect(hook.calls.filter((c) => c.legId === bad)).toHaveLength(2);
      expect(hook.calls.filter((c) => c.legId !== bad && legs.some((l) => l.id === c.legId))).toHaveLength(11);
      expect(await t.db.prisma.auditEntry.count({ where: { action: 'revocation.complete', target: `revocation:${r.id}` } })).toBe(1);
    });

    it.skipIf(!available)('many revocations finishing in one write: one completion entry each, in one unbroken audit chain', async () => {
      hook.mode = 'ok';
      hook.failLegIds.clear();
      const ids = await tokens(10);
      const revs = [];
      for (const id of ids) revs.push(await requestRevocation(t.db, key, { tokenIds: [id], reason: 'one each', actor: 'a' }));
      const pass = await runRevocationWorker(t.db, worker({ batchSize: 50, concurrency: 10, flushMs: 5_000 }));
      expect(pass.confirmed).toBe(10);
      const entries = await t.db.prisma.auditEntry.findMany({ where: { action: 'revocation.complete', target: { in: revs.map((r) => `revocation:${r.id}`) } }, orderBy: { seq: 'asc' } });
      expect(entries).toHaveLength(10);
      expect(new Set(entries.map((e) => e.target)).size).toBe(10);
      for (const e of entries) expect(e.details).toMatchObject({ state: 'confirmed', confirmed: 1, failed: 0 });
      const chain = await verifyAuditChain(t.db);
      expect(chain.ok).toBe(true);
      for (const r of revs) expect((await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id } })).state).toBe('confirmed');
    });

    it.skipIf(!available)('a leg that could outlive the lease is released unsent, its attempt given back, and sent by a later pass', async () => {
      hook.mode = 'ok';
      hook.failLegIds.clear();
      hook.calls.length = 0;
      hook.delayMs = 400;
      const ids = await tokens(5);
      const r = await requestRevocation(t.db, key, { tokenIds: ids, reason: 'short lease', actor: 'a' });
      // Lease 1 s: no leg may start later than 0.5 s into the pass; one at a time, 0.4 s each.
      const pass = await runRevocationWorker(t.db, worker({ leaseMs: 1000, concurrency: 1, batchSize: 5 }));
      expect(pass.released).toBeGreaterThanOrEqual(1);
      expect(pass.confirmed + pass.released).toBe(5);
      const legs = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      const unsent = legs.filter((l) => l.state !== 'confirmed');
      expect(unsent).toHaveLength(pass.released);
      for (const l of unsent) {
        expect(l).toMatchObject({ state: 'in_progress', attempts: 0, claimedBy: null, claimedUntil: null });
        expect(hook.calls.some((c) => c.legId === l.id)).toBe(false);
      }
      hook.delayMs = 0;
      await drain(worker());
      const after = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      expect(after.every((l) => l.state === 'confirmed' && l.attempts === 1)).toBe(true);
      const calls = hook.calls.filter((c) => after.some((l) => l.id === c.legId));
      expect(calls).toHaveLength(5);
      expect(new Set(calls.map((c) => c.legId)).size).toBe(5);
    });

    it.skipIf(!available)('bulk raw tokens: sealed per leg, each checked against its fingerprint, never audited', async () => {
      const id = await makeIdentity(t.db);
      const made = [await makeToken(t.db, id.id), await makeToken(t.db, id.id), await makeToken(t.db, id.id)];
      const tokenIds = made.map((m) => m.token.id);
      await expect(
        requestRevocation(t.db, key, { tokenIds, rawTokens: { [tokenIds[0]!]: made[1]!.raw }, reason: 'x', actor: 'a' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      const stranger = (await makeToken(t.db, id.id)).token.id;
      await expect(requestRevocation(t.db, key, { tokenIds, rawTokens: { [stranger]: 'x' }, reason: 'x', actor: 'a' })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(
        requestRevocation(t.db, key, { tokenIds: [tokenIds[0]!], rawToken: made[0]!.raw, rawTokens: { [tokenIds[0]!]: made[0]!.raw }, reason: 'x', actor: 'a' }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      // Nothing was recorded by the refused requests.
      expect(await t.db.prisma.token.count({ where: { id: { in: tokenIds }, status: 'revoked' } })).toBe(0);

      const r = await requestRevocation(t.db, key, { tokenIds, rawTokens: { [tokenIds[0]!]: made[0]!.raw, [tokenIds[2]!]: made[2]!.raw }, reason: 'x', actor: 'a' });
      const legs = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      const leg = (tokenId: string) => legs.find((l) => l.tokenId === tokenId)!;
      expect(leg(tokenIds[0]!).sealedToken).toMatch(/^v1\./);
      expect(leg(tokenIds[1]!).sealedToken).toBeNull();
      expect(leg(tokenIds[2]!).sealedToken).toMatch(/^v1\./);
      const dump = JSON.stringify(legs) + JSON.stringify(await t.db.prisma.auditEntry.findMany({ select: { details: true } }));
      for (const m of made) expect(dump).not.toContain(m.raw);
      // Not revoked until their issuer confirmed.
      expect(await t.db.prisma.token.count({ where: { id: { in: tokenIds }, status: 'revoked' } })).toBe(0);
      hook.mode = 'ok';
      await drain(worker());
      expect(await t.db.prisma.token.count({ where: { id: { in: tokenIds }, status: 'revoked' } })).toBe(3);
      expect(await t.db.prisma.revocationLeg.count({ where: { revocationId: r.id, sealedToken: { not: null } } })).toBe(0);
    });
  });
}
