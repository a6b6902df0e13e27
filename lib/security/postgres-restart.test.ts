// Fault test (PostgreSQL only): a PRIVATE PostgreSQL instance (own data directory and port, never
// the machine's shared cluster) is restarted while gateways stream ingest batches and while an
// operator requests a revocation, through the real route handlers. Clients get 503 problems with
// Retry-After (or 429 back-pressure) and retry; in the end every event is stored exactly once,
// the revocation exists exactly once, nothing answered 500, and the audit chain verifies.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify-audit-chain.ts';
import { createApiKey } from '../auth/api-keys.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import { migrateDatabase } from '../db/migrations.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { createConnector } from '../revocation/connector-store.ts';
import { startRevocationWorkerLoop } from '../revocation/run-revocation-worker.ts';
import type { RevocationConnector } from '../revocation/types.ts';
import { registerDatabase } from '../server/database.ts';
import { registerSecretKey } from '../server/secret-key.ts';
import { nginxJsonLine } from '../services/ingest/testing/generate.ts';
import { privatePostgresUnavailable, startPrivatePostgres, type PrivatePostgres } from '../testing/private-postgres.ts';
import { POST as postIngest } from '../../app/api/v1/ingest/route.ts';
import { POST as postRevocation } from '../../app/api/v1/revocations/route.ts';

const unavailable = privatePostgresUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`CI=true but a private PostgreSQL cannot be started: ${unavailable}`);

const BATCHES = 24;
const LINES = 400;
const SENDERS = 3;

function batchBody(b: number): string {
  const out: string[] = [];
  for (let i = 0; i < LINES; i++) {
    const o = JSON.parse(nginxJsonLine(b * LINES + i)) as Record<string, unknown>;
    o.request_id = `fault-${b}-${i}`;
    out.push(JSON.stringify(o));
  }
  return out.join('\n') + '\n';
}

describe.skipIf(!!unavailable)('PostgreSQL restarted during ingest and revocation', () => {
  let pg: PrivatePostgres;
  let db: Database;
  let key = '';
  const statuses = new Map<number, number>();
  const count = (s: number) => statuses.set(s, (statuses.get(s) ?? 0) + 1);

  const send = async (req: () => Request, handler: (r: Request) => Promise<Response>, okStatus: number[]): Promise<Response> => {
    for (let attempt = 0; attempt < 60; attempt++) {
      const res = await handler(req());
      count(res.status);
      if (okStatus.includes(res.status)) return res;
      if (res.status !== 503 && res.status !== 429) throw new Error(`not retriable: ${res.status} ${await res.text()}`);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      await res.body?.cancel();
      await new Promise((r) => setTimeout(r, 250 + 250 * Math.min(attempt, 4)));
    }
    throw new Error('gave up after 60 attempts');
  };
  const ingest = (b: number) =>
    send(
      () =>
        new Request('http://localhost:3000/api/v1/ingest?format=nginx-json&source=fault-edge', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
          body: batchBody(b),
        }),
      postIngest,
      [200],
    );
  const ingest0 = (body: string) =>
    postIngest(new Request('http://localhost:3000/api/v1/ingest?format=nginx-json', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body }));
  const q = async (sql: string, params: unknown[] = []) => Number((await db.query<{ n: number }>(sql, params))[0]!.n);

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    db = await openDatabase({ kind: 'postgres', url: pg.url, poolSize: 6 });
    await migrateDatabase(db);
    registerDatabase(db);
    registerSecretKey(randomBytes(32));
    // An operator key (ingest and revoke): an ingest-scoped key may only ingest.
    key = (await createApiKey(db, { name: 'fault-gw', role: 'operator', scopes: [], actor: 'test' })).key;
  }, 120_000);
  afterAll(async () => {
    registerDatabase(undefined);
    registerSecretKey(undefined);
    await db?.close().catch(() => {});
    pg?.cleanup();
  });

  it('ingest: batches in flight during a restart are retried, every event is stored exactly once', async () => {
    let next = 0;
    let done = 0;
    const sender = async () => {
      for (;;) {
        const b = next++;
        if (b >= BATCHES) return;
        const res = await ingest(b);
        const s = (await res.json()) as { accepted: number; duplicates: number };
        expect(s.accepted + s.duplicates).toBe(LINES);
        done++;
      }
    };
    const senders = Array.from({ length: SENDERS }, sender);
    // Restart once a few batches are through and others are on the wire.
    while (done < 4) await new Promise((r) => setTimeout(r, 20));
    await pg.restart(1500);
    const doneAtRestart = done;
    await Promise.all(senders);
    console.log(`[pg-restart] ingest statuses ${JSON.stringify(Object.fromEntries(statuses))}, restart after ${doneAtRestart} of ${BATCHES} batches`);
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(statuses.get(503) ?? 0).toBeGreaterThan(0); // the restart was felt…
    expect(doneAtRestart).toBeLessThan(BATCHES); // …while batches were still coming
    expect(await q(`SELECT count(*)::int AS n FROM "evidence"."Request" WHERE "requestId" LIKE 'fault-%'`)).toBe(BATCHES * LINES);
    expect(await q(`SELECT count(DISTINCT "requestId")::int AS n FROM "evidence"."Request" WHERE "requestId" LIKE 'fault-%'`)).toBe(BATCHES * LINES);
    expect(await q(`SELECT coalesce(sum("count"), 0)::int AS n FROM "evidence"."Usage"`)).toBe(BATCHES * LINES);
  }, 300_000);

  it('revocation: requested while the database is down gets 503, the retry records it exactly once', async () => {
    const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64u({ alg: 'ES256' })}.${b64u({ iss: 'https://as.fault', sub: 'svc-f', jti: 'f-1', exp: Math.floor(Date.now() / 1000) + 3600 })}.${randomBytes(32).toString('base64url')}`;
    const line = JSON.stringify({ ...(JSON.parse(nginxJsonLine(1)) as object), request_id: 'fault-token', authz_scheme: 'Bearer', http_authorization: `Bearer ${token}` });
    const r = await postIngest(new Request('http://localhost:3000/api/v1/ingest?format=nginx-json', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body: line + '\n' }));
    expect(r.status).toBe(200);
    const tok = await db.prisma.token.findFirstOrThrow({ where: { fingerprint: fingerprintToken(token) }, select: { id: true } });
    const request = () =>
      new Request('http://localhost:3000/api/v1/revocations', {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tokenIds: [tok.id], reason: 'fault test' }),
      });
    statuses.clear();
    pg.stop();
    const down = await postRevocation(request());
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ code: 'db_unreachable' });
    // Back up while the client is retrying.
    const retrying = send(request, postRevocation, [200, 201, 202]);
    await new Promise((res) => setTimeout(res, 1200));
    pg.start();
    const ok = await retrying;
    expect([200, 201, 202]).toContain(ok.status);
    expect(statuses.get(500) ?? 0).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM "RevocationLeg" WHERE "tokenId" = $1`, [tok.id])).toBe(1);
    expect(await q(`SELECT count(*)::int AS n FROM "Revocation"`)).toBe(1);
  }, 120_000);

  it('revocation worker: legs in flight during a restart are taken again after their lease and all confirm', async () => {
    // 40 tokens seen in the logs, one revocation for all of them.
    const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const raw = Array.from({ length: 40 }, (_, i) => `${b64u({ alg: 'ES256' })}.${b64u({ iss: 'https://as.fault', sub: `svc-w${i}`, jti: `w-${i}`, exp: Math.floor(Date.now() / 1000) + 3600 })}.${randomBytes(32).toString('base64url')}`);
    const body = raw.map((tk, i) => JSON.stringify({ ...(JSON.parse(nginxJsonLine(i)) as object), request_id: `fault-w-${i}`, authz_scheme: 'Bearer', http_authorization: `Bearer ${tk}` })).join('\n') + '\n';
    expect((await ingest0(body)).status).toBe(200);
    const ids = (await db.prisma.token.findMany({ where: { fingerprint: { in: raw.map(fingerprintToken) } }, select: { id: true } })).map((t) => t.id);
    expect(ids).toHaveLength(40);
    const res = await send(
      () => new Request('http://localhost:3000/api/v1/revocations', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ tokenIds: ids, reason: 'worker fault test' }) }),
      postRevocation,
      [200, 201, 202],
    );
    const revocationId = ((await res.json()) as { id: string }).id;
    // A peer that takes 100 ms per call and counts calls per leg.
    const calls = new Map<string, number>();
    const peer: RevocationConnector = {
      kind: 'webhook',
      name: 'counting-peer',
      async execute(target) {
        await new Promise((r) => setTimeout(r, 100));
        calls.set(target.legId, (calls.get(target.legId) ?? 0) + 1);
        return { detail: 'revoked' };
      },
      async testConnection() {
        return { detail: 'ok' };
      },
    };
    // A real connector row (legs reference it); its calls go to the counting peer above.
    const row = await createConnector(db, randomBytes(32), { name: 'fault-peer', kind: 'webhook', matchIssuer: '*', config: { url: 'http://127.0.0.1:9/unused' }, secrets: { hmacSecret: randomBytes(16).toString('hex') } }, 'test');
    const loop = startRevocationWorkerLoop(db, { connectors: async () => ({ id: row.id, connector: peer }), key: randomBytes(32), workerId: 'fault-worker', leaseMs: 2000, baseDelayMs: 200, maxDelayMs: 1000, concurrency: 4, batchSize: 8, intervalMs: 200 });
    try {
      while (calls.size < 8) await new Promise((r) => setTimeout(r, 20));
      await pg.restart(1500);
      const deadline = Date.now() + 90_000;
      for (;;) {
        const open = await q(`SELECT count(*)::int AS n FROM "RevocationLeg" WHERE "revocationId" = $1 AND state <> 'confirmed'`, [revocationId]).catch(() => -1);
        if (open === 0) break;
        if (Date.now() > deadline) throw new Error(`legs still open: ${open}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await loop.stop();
    }
    const legs = await db.query<{ id: string; attempts: number; state: string }>(`SELECT id, attempts, state FROM "RevocationLeg" WHERE "revocationId" = $1`, [revocationId]);
    expect(legs).toHaveLength(40);
    for (const l of legs) {
      expect(l.state).toBe('confirmed');
      // Every leg reached the peer, and never more often than Holdfast counted.
      expect(calls.get(l.id) ?? 0).toBeGreaterThanOrEqual(1);
      expect(calls.get(l.id) ?? 0).toBeLessThanOrEqual(l.attempts);
    }
    const again = [...calls.values()].filter((n) => n > 1).length;
    console.log(`[pg-restart] worker: 40 legs confirmed, ${again} called twice (in flight at the restart), attempts max ${Math.max(...legs.map((l) => l.attempts))}`);
    expect((await db.query<{ state: string }>(`SELECT state FROM "Revocation" WHERE id = $1`, [revocationId]))[0]!.state).toBe('confirmed');
  }, 180_000);

  it('the audit chain verifies after both restarts', async () => {
    const v = await verifyAuditChain(db);
    expect(v).toMatchObject({ ok: true, firstBadEntry: null });
    expect(await q(`SELECT count(*)::int AS n FROM "AuditEntry" WHERE action = 'ingest.batch'`)).toBeGreaterThanOrEqual(BATCHES);
  }, 60_000);
});
