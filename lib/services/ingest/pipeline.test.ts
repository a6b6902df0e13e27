// The ingest pipeline on both runtimes: one batch per stream, verdicts, linking, idempotent
// re-send, all-or-nothing on failure, nothing secret stored.
import { evidenceDump, storedRequests } from '../../testing/evidence.ts';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CERT_ESCAPED, CERT_X5T, GITLEAKS_REPORT, INTROSPECTION_LINE, NGINX_JSON_REAL, SECRET_GH, SECRET_JWT, SECRET_OPAQUE, SECRET_PROOF,
} from '../../ingest/testing/samples.ts';
import { sha256B64url } from '../../ingest/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { HoldfastError } from '../../errors.ts';
import { ingestStream } from './pipeline.ts';

const NOW = new Date('2026-11-22T09:00:00Z');
const now = () => NOW;

const nginxLine = (i: number, o: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: `2026-11-22T08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}+00:00`,
    request_id: `req-${i}`, remote_addr: '10.0.0.1', method: 'GET', scheme: 'https', host: 'api.example', uri: `/orders/${i}`, status: 200,
    ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'O=Test,CN=svc-a', ssl_client_i_dn: 'CN=Test Client CA,O=Test', ssl_client_serial: '1000',
    ssl_client_fingerprint: 'a82ab1945d9a936e490783bfa9ddab4e8246f3aa', ssl_client_escaped_cert: CERT_ESCAPED, authz_scheme: 'Bearer', has_dpop: '0',
    ...o,
  });

async function counts(db: TestDatabase['db']) {
  const [r] = await db.query<Record<string, number>>(`SELECT
    (SELECT count(*)::int FROM "evidence"."Request") AS events, (SELECT count(*)::int FROM "Identity") AS identities,
    (SELECT count(*)::int FROM "Token") AS tokens, (SELECT count(*)::int FROM "Certificate") AS certificates,
    (SELECT count(*)::int FROM "ExposureFinding") AS exposures, (SELECT count(*)::int FROM "IngestBatch" WHERE state = 'committed') AS batches`);
  return r!;
}

async function dump(db: TestDatabase['db']) {
  return {
    ...(await evidenceDump(db)),
    tokens: await db.query(`SELECT fingerprint, binding::text, status, exposure, "lastSeenAt", "identityId" FROM "Token" ORDER BY fingerprint`),
    identities: await db.query(`SELECT id, name, "lastSeenAt" FROM "Identity" ORDER BY name`),
    certificates: await db.query(`SELECT "x5tS256", status, "identityId" FROM "Certificate" ORDER BY "x5tS256"`),
  };
}

for (const runtime of RUNTIMES) {
  describe(`ingest pipeline on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
    }, 60_000);
    afterAll(async () => t?.drop());

    it('ingests an NGINX JSON log: verdicts, identities, certificates; a re-send changes nothing', async (ctx) => {
      if (!t) return ctx.skip();
      const lines = [
        nginxLine(1),
        nginxLine(2, { authz_scheme: 'DPoP', has_dpop: '0', status: 401 }),
        NGINX_JSON_REAL,
        '{"time":"not a time"}',
        'garbage',
        '',
        nginxLine(1), // same request id twice in one file
      ].join('\n');
      const first = await ingestStream(t.db, [lines], { format: 'nginx-json', sourceName: 'edge-1', actor: 'test', now });
      expect(first).toMatchObject({ linesRead: 7, accepted: 3, rejected: 2, duplicates: 1, format: 'nginx-json' });
      expect(first.errors.map((e) => e.line)).toEqual([4, 5]);
      expect(first.errors[0]!.reason).toBe('invalid_timestamp');
      // The batch keeps the SHA-256 of the body exactly as it was sent.
      const [batch] = await t.db.query<{ contentSha256: string }>(`SELECT "contentSha256" FROM "IngestBatch" WHERE id = $1::uuid`, [first.batchId]);
      expect(batch!.contentSha256).toBe(createHash('sha256').update(lines).digest('hex'));
      const before = await counts(t.db);
      const snapshot = await dump(t.db);
      expect(before).toMatchObject({ events: 3, certificates: 1, batches: 1 });
      const ev = await storedRequests(t.db);
      // The sample certificate's notBefore (08:44:39) is after these lines' times (08:0x): not yet valid.
      expect(ev.map((e) => e.verdict).sort()).toEqual(['cert_expired', 'cert_expired', 'cert_revoked']);
      const ids = await t.db.query<{ name: string }>(`SELECT name FROM "Identity" ORDER BY name`);
      // The sample certificate carries a SPIFFE URI SAN: that names the workload; svc-b by its CN.
      expect(ids.map((i) => i.name)).toEqual(['spiffe://example.org/ns/prod/sa/svc-a', 'svc-b']);
      const [cert] = await t.db.query<{ x5tS256: string; identityId: string | null }>(`SELECT "x5tS256", "identityId" FROM "Certificate"`);
      expect(cert!.x5tS256).toBe(CERT_X5T);
      expect(cert!.identityId).not.toBeNull();

      const again = await ingestStream(t.db, [lines], { format: 'nginx-json', sourceName: 'edge-1', actor: 'test', now });
      expect(again).toMatchObject({ linesRead: 7, accepted: 0, rejected: 2, duplicates: 4 });
      expect(await counts(t.db)).toEqual({ ...before, batches: 2 });
      expect(await dump(t.db)).toEqual(snapshot);
      const [src] = await t.db.query<{ eventsTotal: number; lastSeenAt: Date | null }>(`SELECT "eventsTotal", "lastSeenAt" FROM "Source" WHERE name = 'edge-1'`);
      expect(Number(src!.eventsTotal)).toBe(3);
    });

    it('links logged tokens to introspected ones, marks scanner hits exposed, never stores secrets', async (ctx) => {
      if (!t) return ctx.skip();
      // What each batch changed, for the findings evaluation after it (lib/services/findings/coalesce.ts).
      const touched = () => ({ tokenIds: new Set<string>(), beyondTokens: false });
      const introTouched = touched();
      const intro = await ingestStream(t.db, [INTROSPECTION_LINE + '\n'], { format: 'introspection', actor: 'test', now, touched: introTouched });
      expect(intro).toMatchObject({ accepted: 1, rejected: 0, duplicates: 0 });
      expect(introTouched.beyondTokens).toBe(true);
      const intro2 = await ingestStream(t.db, [INTROSPECTION_LINE + '\n'], { format: 'introspection', actor: 'test', now });
      expect(intro2).toMatchObject({ accepted: 0, duplicates: 1 });
      const fp = sha256B64url(SECRET_JWT);
      const [tok] = await t.db.query<{ id: string; binding: string; cnfJkt: string; firstSeenAt: Date }>(`SELECT id, binding::text AS binding, "cnfJkt", "firstSeenAt" FROM "Token" WHERE fingerprint = $1`, [fp]);
      expect(tok).toMatchObject({ binding: 'dpop', cnfJkt: 'JKT123' });
      // First seen at the ingest's clock, not the database's: "tokens known at T" must not depend on when a batch ran.
      expect(new Date(tok!.firstSeenAt).toISOString()).toBe(NOW.toISOString());

      // A log line carrying that token with the Bearer scheme and a proof: the DPoP-bound token
      // presented as Bearer → proof_invalid / bearer_scheme_for_dpop_token (a 2xx → bound_not_enforced).
      const withToken = JSON.stringify({
        time: '2026-11-22T08:30:00+00:00', request_id: 'tok-1', method: 'GET', scheme: 'https', host: 'api.example', uri: '/x', status: 200,
        ssl_client_verify: 'NONE', http_authorization: `Bearer ${SECRET_JWT}`, http_dpop: SECRET_PROOF, has_dpop: '1',
      });
      const requestTouched = touched();
      const r = await ingestStream(t.db, [withToken + '\n'], { format: 'nginx-json', actor: 'test', now, touched: requestTouched });
      expect(r).toMatchObject({ accepted: 1, rejected: 0 });
      expect(requestTouched).toEqual({ tokenIds: new Set([tok!.id]), beyondTokens: false });
      const [e] = await storedRequests(t.db, `"requestId" = 'tok-1'`);
      expect(e).toMatchObject({ tokenId: tok!.id, verdict: 'bound_not_enforced', reason: 'bearer_scheme_for_dpop_token' });

      // An opaque Bearer token first seen in a log, for a known identity: created and linked.
      const opaque = JSON.stringify({ time: '2026-11-22T08:31:00+00:00', request_id: 'tok-2', uri: '/y', status: 200, ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'O=Test,CN=svc-a', http_authorization: `Bearer ${SECRET_OPAQUE}` });
      await ingestStream(t.db, [opaque], { format: 'nginx-json', actor: 'test', now });
      const [op] = await t.db.query<{ binding: string; identity: string; firstSeenAt: Date }>(`SELECT t.binding::text AS binding, i.name AS identity, t."firstSeenAt" FROM "Token" t JOIN "Identity" i ON i.id = t."identityId" WHERE fingerprint = $1`, [sha256B64url(SECRET_OPAQUE)]);
      expect(op?.binding).toBe('bearer');
      expect(new Date(op!.firstSeenAt).toISOString()).toBe(NOW.toISOString());

      const scanTouched = touched();
      const gl = await ingestStream(t.db, GITLEAKS_REPORT.map((l) => l + '\n'), { format: 'gitleaks', actor: 'test', now, touched: scanTouched });
      expect(gl).toMatchObject({ accepted: 2, rejected: 0 });
      expect(scanTouched).toEqual({ tokenIds: new Set([tok!.id]), beyondTokens: false });
      const [exposed] = await t.db.query<{ exposure: string }>(`SELECT exposure FROM "Token" WHERE fingerprint = $1`, [fp]);
      expect(exposed!.exposure).toBe('exposed');
      const gl2 = await ingestStream(t.db, GITLEAKS_REPORT.map((l) => l + '\n'), { format: 'gitleaks', actor: 'test', now });
      expect(gl2).toMatchObject({ accepted: 0, duplicates: 2 });

      const all = JSON.stringify(await evidenceDump(t.db)) + JSON.stringify(await t.db.query(`SELECT * FROM "evidence"."Dim"`)) + JSON.stringify(await t.db.query(`SELECT * FROM "Token"`)) +
        JSON.stringify(await t.db.query(`SELECT * FROM "ExposureFinding"`)) + JSON.stringify(await t.db.query(`SELECT * FROM "IngestBatch"`));
      for (const secret of [SECRET_JWT, SECRET_PROOF, SECRET_OPAQUE, SECRET_GH]) expect(all).not.toContain(secret);
    });

    it('rolls the whole batch back when the stream fails midway, and records a failed batch', async (ctx) => {
      if (!t) return ctx.skip();
      const before = await counts(t.db);
      async function* broken() {
        for (let i = 0; i < 30; i++) yield nginxLine(1000 + i) + '\n';
        throw new HoldfastError('payload_too_large', 'body over 10 bytes');
      }
      await expect(ingestStream(t.db, broken(), { format: 'nginx-json', sourceName: 'edge-2', actor: 'test', now, chunkSize: 7 })).rejects.toThrow(/body over/);
      expect(await counts(t.db)).toEqual(before);
      const [failed] = await t.db.query<{ state: string; errors: unknown }>(`SELECT state, errors FROM "IngestBatch" ORDER BY "startedAt" DESC LIMIT 1`);
      expect(failed!.state).toBe('failed');
    });

    it('two batches in flight with overlapping events store each event once', async (ctx) => {
      if (!t) return ctx.skip();
      const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => nginxLine(from + i)).join('\n') + '\n';
      // The identity and certificate exist first: creating them would lock B out before its events.
      await ingestStream(t.db, [lines(1999, 2000)], { format: 'nginx-json', actor: 'test', now });
      const before = await counts(t.db);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let firstChunkWritten!: () => void;
      const written = new Promise<void>((r) => (firstChunkWritten = r));
      // A writes 2000–2099 and holds its transaction open; B sends 2050–2149 meanwhile. On
      // PostgreSQL B's direct COPY waits on A's uncommitted keys, fails once A commits, and
      // must fall back to INSERT … ON CONFLICT; on PGlite B simply runs after A.
      // No source name: a named source's row lock would hold B off before it reaches the events.
      const a = ingestStream(t.db, [lines(2000, 2100)], {
        format: 'nginx-json', actor: 'test', now, chunkSize: 100,
        onChunk: async () => {
          firstChunkWritten();
          await held;
        },
      });
      await written;
      const b = ingestStream(t.db, [lines(2050, 2150)], { format: 'nginx-json', actor: 'test', now, chunkSize: 100 });
      await new Promise((r) => setTimeout(r, 500));
      release();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra).toMatchObject({ accepted: 100, duplicates: 0 });
      expect(rb).toMatchObject({ accepted: 50, duplicates: 50 });
      expect((await counts(t.db)).events).toBe(before.events! + 150);
    });

    // PGlite runs one transaction at a time by design; the question is PostgreSQL's row locks.
    if (runtime === 'postgres') {
      it('batches of one named source over the same identities run side by side, not one after the other', async (ctx) => {
        if (!t) return ctx.skip();
        const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => nginxLine(from + i)).join('\n') + '\n';
        await ingestStream(t.db, [lines(2999, 3000)], { format: 'nginx-json', sourceName: 'edge-par', actor: 'test', now });
        let release!: () => void;
        const held = new Promise<void>((r) => (release = r));
        let firstChunkWritten!: () => void;
        const written = new Promise<void>((r) => (firstChunkWritten = r));
        // A has written events for svc-a (same source, same identity and certificate) and holds its
        // transaction open. B must still commit meanwhile: nothing A touched may be row-locked by A
        // for A's whole length (the source upsert and last-seen updates used to be).
        const a = ingestStream(t.db, [lines(3000, 3200)], {
          format: 'nginx-json', sourceName: 'edge-par', actor: 'test', now, chunkSize: 100,
          onChunk: async () => {
            firstChunkWritten();
            await held;
          },
        });
        await written;
        try {
          const b = ingestStream(t.db, [lines(3300, 3400)], { format: 'nginx-json', sourceName: 'edge-par', actor: 'test', now, chunkSize: 100 });
          const rb = await Promise.race([b, new Promise((r) => setTimeout(() => r('blocked'), 5_000))]);
          expect(rb).toMatchObject({ accepted: 100, duplicates: 0 });
        } finally {
          release();
        }
        expect(await a).toMatchObject({ accepted: 200, duplicates: 0 });
        const [src] = await t.db.query<{ n: number }>(`SELECT "eventsTotal"::int AS n FROM "Source" WHERE name = 'edge-par'`);
        expect(src!.n).toBe(301);
        // Last seen moved to the latest event of either batch (B's 3399 is later than A's 3199).
        const [req] = await storedRequests(t.db, `"requestId" = 'req-3000'`);
        const [idt] = await t.db.query<{ last: Date }>(`SELECT "lastSeenAt" AS last FROM "Identity" WHERE id = $1::uuid`, [req!.identityId]);
        expect(new Date(idt!.last).toISOString()).toBe(new Date(JSON.parse(nginxLine(3399)).time).toISOString());
      });
    }

    if (runtime === 'postgres') {
      it('locks the rows it marks as last seen in id order (no deadlock between batches)', async (ctx) => {
        if (!t?.url) return ctx.skip();
        // 30 identities (one per certificate subject), then a batch seeing all of them again later.
        const lineFor = (k: number, minute: number) =>
          nginxLine(4000 + k, { time: `2026-11-22T09:${String(minute).padStart(2, '0')}:00+00:00`, request_id: `lock-${k}-${minute}`,
            ssl_client_s_dn: `O=Test,CN=lock-svc-${k}`, ssl_client_fingerprint: createHash('sha1').update(`lock-${k}`).digest('hex'), ssl_client_escaped_cert: '' });
        const body = (minute: number) => Array.from({ length: 30 }, (_, k) => lineFor(k, minute)).join('\n') + '\n';
        await ingestStream(t.db, [body(1)], { format: 'nginx-json', actor: 'test', now });
        const ids = (await t.db.query<{ id: string }>(`SELECT id::text AS id FROM "Identity" WHERE name LIKE 'lock-svc-%' ORDER BY id`)).map((r) => r.id);
        expect(ids).toHaveLength(30);
        const { default: pg } = await import('pg');
        const blocker = new pg.Client({ connectionString: t.url });
        const probe = new pg.Client({ connectionString: t.url });
        await blocker.connect();
        await probe.connect();
        try {
          // Hold the highest id: the batch must lock every lower one first, then wait here.
          await blocker.query('BEGIN');
          await blocker.query(`SELECT 1 FROM "Identity" WHERE id = $1::uuid FOR UPDATE`, [ids.at(-1)]);
          const batch = ingestStream(t.db, [body(2)], { format: 'nginx-json', actor: 'test', now });
          const waiting = async () =>
            (await probe.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND locktype = 'transactionid'`)).rowCount! > 0;
          for (let i = 0; i < 200 && !(await waiting()); i++) await new Promise((r) => setTimeout(r, 25));
          expect(await waiting()).toBe(true);
          const lockedByBatch: string[] = [];
          for (const id of ids.slice(0, -1)) {
            await probe.query('BEGIN');
            try {
              await probe.query(`SELECT 1 FROM "Identity" WHERE id = $1::uuid FOR UPDATE NOWAIT`, [id]);
            } catch (e) {
              if ((e as { code?: string }).code === '55P03') lockedByBatch.push(id);
              else throw e;
            } finally {
              await probe.query('ROLLBACK');
            }
          }
          expect(lockedByBatch).toEqual(ids.slice(0, -1));
          await blocker.query('COMMIT');
          expect(await batch).toMatchObject({ accepted: 30 });
        } finally {
          await blocker.query('ROLLBACK').catch(() => {});
          await blocker.end();
          await probe.end();
        }
      });
    }

    it('refuses an unknown or undetectable format before writing anything', async (ctx) => {
      if (!t) return ctx.skip();
      await expect(ingestStream(t.db, ['x\n'], { format: 'nope', actor: 'test' })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(ingestStream(t.db, ['hello world\n'], { actor: 'test' })).rejects.toMatchObject({ code: 'validation_failed' });
    });
  });
}
