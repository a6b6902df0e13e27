// Ingest back-pressure through the real route handler: per-key and per-address budgets answer
// 429 with Retry-After; with every batch slot taken a new batch is refused with 429 before any
// write, the batch in flight commits whole, and the refused batch sent again lands exactly once.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { REMOTE_ADDR_HEADER } from '@/lib/http/route.ts';
import { ingestGate } from '@/lib/http/ingest-gate.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { POST } from './route.ts';

const line = (tag: string, i: number) =>
  JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: `${tag}-${i}`, uri: `/p/${i}`, status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' });
const body = (tag: string, n: number) => Array.from({ length: n }, (_, i) => line(tag, i)).join('\n') + '\n';

const LIMIT_ENV = ['HOLDFAST_INGEST_RATE_PER_KEY', 'HOLDFAST_INGEST_RATE_PER_IP', 'HOLDFAST_INGEST_MAX_CONCURRENT', 'HOLDFAST_INGEST_MAX_BYTES'] as const;

for (const runtime of RUNTIMES) {
  describe(`ingest back-pressure on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    const keys: string[] = [];
    const post = (key: string, b: BodyInit | ReadableStream<Uint8Array>, ip = '198.51.100.7') =>
      POST(
        new Request('http://localhost:3000/api/v1/ingest?format=nginx-json', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', [REMOTE_ADDR_HEADER]: ip },
          body: b,
          duplex: 'half',
        } as RequestInit),
      );
    const events = async (prefix: string) =>
      Number((await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Request" WHERE "requestId" LIKE $1`, [`${prefix}-%`]))[0]!.n);

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      for (let i = 0; i < 3; i++) keys.push((await createApiKey(t.db, { name: `gw-${i}`, role: 'analyst', scopes: ['ingest'], actor: 'test' })).key);
    }, 60_000);
    afterAll(async () => {
      registerDatabase(undefined);
      await t?.drop();
    });
    afterEach(() => {
      for (const k of LIMIT_ENV) delete process.env[k];
    });

    it('per API key: over the budget is 429 with Retry-After; other keys are unaffected', async (ctx) => {
      if (!t) return ctx.skip();
      process.env.HOLDFAST_INGEST_RATE_PER_KEY = '2';
      expect((await post(keys[0]!, body('rk-a', 3), '198.51.100.1')).status).toBe(200);
      expect((await post(keys[0]!, body('rk-b', 3), '198.51.100.2')).status).toBe(200);
      const r = await post(keys[0]!, body('rk-c', 3), '198.51.100.3');
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toMatchObject({ code: 'rate_limited' });
      expect(await events('rk-c')).toBe(0);
      expect((await post(keys[1]!, body('rk-d', 3), '198.51.100.4')).status).toBe(200);
    });

    it('per client address: one address over its budget is 429 whatever key it uses', async (ctx) => {
      if (!t) return ctx.skip();
      process.env.HOLDFAST_INGEST_RATE_PER_IP = '2';
      expect((await post(keys[0]!, body('ri-a', 2), '203.0.113.50')).status).toBe(200);
      expect((await post(keys[1]!, body('ri-b', 2), '203.0.113.50')).status).toBe(200);
      const r = await post(keys[2]!, body('ri-c', 2), '203.0.113.50');
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await events('ri-c')).toBe(0);
      expect((await post(keys[2]!, body('ri-d', 2), '203.0.113.51')).status).toBe(200);
    });

    // PostgreSQL only: PGlite has one connection, so a second request's authentication waits for
    // the open batch transaction and can never observe the slot taken (the gate itself is
    // covered for both by the unit test below). Not declared on PGlite at all: a skip there would
    // read as a test CI did not run.
    if (runtime === 'postgres') it('in-flight cap: a batch over the cap is refused before any write, the running one commits whole, the retry lands once', async (ctx) => {
      if (!t) return ctx.skip();
      process.env.HOLDFAST_INGEST_MAX_CONCURRENT = '1';
      // A slow gateway: the first half now, the rest when we say so.
      let finish!: () => void;
      const gate = new Promise<void>((r) => (finish = r));
      const first = body('cc-a', 400);
      const cut = first.indexOf('\n', first.length / 2) + 1;
      let step = 0;
      const slow = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (step === 0) c.enqueue(new TextEncoder().encode(first.slice(0, cut)));
          else if (step === 1) {
            await gate;
            c.enqueue(new TextEncoder().encode(first.slice(cut)));
          } else c.close();
          step++;
        },
      });
      const running = post(keys[0]!, slow, '192.0.2.1');
      while (ingestGate().inFlight < 1) await new Promise((r) => setTimeout(r, 5));
      const refused = await post(keys[1]!, body('cc-b', 50), '192.0.2.2');
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ code: 'rate_limited' });
      expect(await events('cc-b')).toBe(0);
      finish();
      const done = await running;
      expect(done.status).toBe(200);
      expect(await done.json()).toMatchObject({ accepted: 400, rejected: 0 });
      expect(ingestGate().inFlight).toBe(0);
      expect(await events('cc-a')).toBe(400);
      const retry = await post(keys[1]!, body('cc-b', 50), '192.0.2.2');
      expect(retry.status).toBe(200);
      expect(await events('cc-b')).toBe(50);
    });

    it('a failed batch frees its slot (413 mid-stream)', async (ctx) => {
      if (!t) return ctx.skip();
      process.env.HOLDFAST_INGEST_MAX_CONCURRENT = '1';
      process.env.HOLDFAST_INGEST_MAX_BYTES = '200';
      try {
        const r = await post(keys[0]!, new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(body('big', 10))), c.close()) }), '192.0.2.9');
        expect(r.status).toBe(413);
      } finally {
        delete process.env.HOLDFAST_INGEST_MAX_BYTES;
      }
      expect(ingestGate().inFlight).toBe(0);
      expect((await post(keys[0]!, body('after', 2), '192.0.2.9')).status).toBe(200);
    });
  });
}

describe('ingest gate', () => {
  it('takes at most maxConcurrent slots, frees each once, and refuses with Retry-After 1 when full', async () => {
    const { createIngestGate } = await import('@/lib/http/ingest-gate.ts');
    const g = createIngestGate({ perKeyPerMinute: 100, perIpPerMinute: 100, maxConcurrent: 2 });
    const a = await g.admit({ principalId: 'a', ip: '1' }, null);
    const b = await g.admit({ principalId: 'b', ip: '2' }, null);
    let err: unknown;
    try {
      await g.admit({ principalId: 'c', ip: '3' }, null);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: 1 } });
    a();
    a();
    expect(g.inFlight).toBe(1);
    await g.admit({ principalId: 'c', ip: '3' }, null);
    expect(g.inFlight).toBe(2);
    b();
    expect(g.inFlight).toBe(1);
  });

  it('rejects nonsense limits with a config error naming the variable', async () => {
    const { ingestGateConfig } = await import('@/lib/http/ingest-gate.ts');
    expect(() => ingestGateConfig({ HOLDFAST_INGEST_MAX_CONCURRENT: '0' })).toThrow(/HOLDFAST_INGEST_MAX_CONCURRENT/);
    expect(ingestGateConfig({})).toEqual({ perKeyPerMinute: 600, perIpPerMinute: 1200, maxConcurrent: 4 });
  });
});
