// A token is `expired` once its exp has passed: created so from a log line that shows it already
// expired, and moved there by the maintenance sweep when time passes an active token's exp (the
// token counters following); revoked tokens stay revoked. On both runtimes; on PostgreSQL a token
// row another transaction holds is skipped, not waited for.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { fingerprintToken } from '../../binding/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { maintainEvidence } from '../evidence/maintenance.ts';
import { ingestStream } from '../ingest/index.ts';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (sub: string, exp: number) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', sub, client_id: sub, jti: randomUUID(), iat: exp - 3600, exp })}.c2ln`;

const NOW = Date.now();
const sec = (ms: number) => Math.floor(ms / 1000);
const TOKENS = {
  pastAtIngest: jwt('svc-old', sec(NOW - 3_600_000)),
  soon: jwt('svc-soon', sec(NOW + 600_000)),
  later: jwt('svc-later', sec(NOW + 86_400_000)),
  revoked: jwt('svc-revoked', sec(NOW + 600_000)),
};

const line = (token: string, i: number) =>
  JSON.stringify({
    time: new Date(NOW - 60_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: `${String(i).padStart(4, '0')}${'cd'.repeat(14)}`, remote_addr: '127.0.0.1',
    method: 'GET', scheme: 'https', host: 'api.test', uri: '/x', status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', http_authorization: `Bearer ${token}`,
  });

const statusOf = async (t: TestDatabase) =>
  Object.fromEntries(
    await Promise.all(Object.entries(TOKENS).map(async ([k, tok]) => [k, (await t.db.query<{ status: string }>(`SELECT status FROM "Token" WHERE fingerprint = $1`, [fingerprintToken(tok)]))[0]?.status])),
  );

for (const runtime of RUNTIMES) {
  describe(`tokens past their expiry are expired (${runtime})`, () => {
    const dbs: TestDatabase[] = [];
    afterAll(async () => {
      for (const t of dbs.splice(0)) await t.drop();
    });
    const counted = async (t: TestDatabase) =>
      Object.fromEntries((await t.db.query<{ status: string; n: number }>(`SELECT status, sum(count)::int AS n FROM "TokenCount" GROUP BY status`)).map((r) => [r.status, Number(r.n)]));

    it('created expired from a log; swept when time passes; revoked stays revoked; the counters follow', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const r = await ingestStream(t.db, [Object.values(TOKENS).map(line).join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
      expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 4, rejected: 0 });
      await t.db.query(`UPDATE "Token" SET status = 'revoked', "revokedAt" = now() WHERE fingerprint = $1`, [fingerprintToken(TOKENS.revoked)]);
      expect(await statusOf(t)).toEqual({ pastAtIngest: 'expired', soon: 'active', later: 'active', revoked: 'revoked' });

      expect((await maintainEvidence(t.db, { now: new Date(NOW) })).expired).toBe(0);
      expect((await maintainEvidence(t.db, { now: new Date(NOW + 3_600_000) })).expired).toBe(1);
      expect(await statusOf(t)).toEqual({ pastAtIngest: 'expired', soon: 'expired', later: 'active', revoked: 'revoked' });
      expect(await counted(t)).toEqual({ expired: 2, active: 1, revoked: 1 });

      // An introspection answer after its exp calls the revoked token expired: it stays revoked.
      const introspected = (token: string) => JSON.stringify({ active: true, token, exp: sec(NOW + 600_000), client_id: 'svc-revoked', sub: 'svc-revoked' });
      const again = await ingestStream(t.db, [`${introspected(TOKENS.revoked)}\n`], { format: 'introspection', sourceName: 'as', actor: 'test', now: () => new Date(NOW + 3_600_000) });
      expect(again, JSON.stringify(again.errors)).toMatchObject({ rejected: 0 });
      expect((await statusOf(t)).revoked).toBe('revoked');
    });
  });
}

// PostgreSQL only: PGlite runs one transaction at a time.
describe('the expiry sweep never waits on a held token (postgres)', () => {
  const dbs: TestDatabase[] = [];
  afterAll(async () => {
    for (const t of dbs.splice(0)) await t.drop();
  });
  it('skips a token another transaction holds, and takes it on the next run', async () => {
    if (!(await postgresAvailable())) {
      if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
      return;
    }
    const t = await openTestDatabase('postgres');
    dbs.push(t);
    await ingestStream(t.db, [Object.values(TOKENS).map(line).join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
    const holder = await t.db.pool!.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`UPDATE "Token" SET "lastSeenAt" = now() WHERE fingerprint = $1`, [fingerprintToken(TOKENS.soon)]);
      const later = new Date(NOW + 3_600_000);
      const started = Date.now();
      expect((await maintainEvidence(t.db, { now: later })).expired).toBe(1); // svc-revoked's, not revoked in this database
      expect(Date.now() - started).toBeLessThan(5_000);
      await holder.query('COMMIT');
      expect((await maintainEvidence(t.db, { now: later })).expired).toBe(1);
      expect((await statusOf(t)).soon).toBe('expired');
    } finally {
      holder.release();
    }
  });
});
