// DPoP-bound API keys: Holdfast uses the binding it preaches. Proofs come from the `dpop` npm
// package (a real client), sent to the real ingest and summary route handlers. A bound key works
// only as `Authorization: DPoP` with a fresh proof for this method and URL signed by the bound
// key and carrying a current server nonce (RFC 9449 §8); Bearer use, missing, replayed,
// wrong-key, wrong-htu/htm, stale or ath-less proofs get 401 with a DPoP challenge, and a proof
// without a current nonce gets 401 use_dpop_nonce with one in DPoP-Nonce. The key is created
// through POST /api/v1/api-keys (admin) with dpopJkt. The keys here are operator keys (read and
// ingest) so one key exercises both routes; a bound key with the ingest scope passes the same
// proof checks and may then only ingest (lib/auth/permissions.ts).
import { randomBytes } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { openDatabase } from '@/lib/db/open.ts';
import { isCurrentDpopNonce, issueDpopNonce } from '@/lib/http/dpop-nonce.ts';
import { addressedUrl, principalFromRequest } from '@/lib/http/request-auth.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { registerSecretKey } from '@/lib/server/secret-key.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { POST as postIngest } from '../ingest/route.ts';
import { GET as getSummary } from '../summary/route.ts';
import { GET as listKeys, POST as postKey } from './route.ts';

const BASE = 'http://localhost:3000';
// The deployment's secret key: nonces are MACed under it (lib/http/dpop-nonce.ts).
const secret = randomBytes(32);
/** A current server nonce, as a 401 use_dpop_nonce hands it out (that exchange is tested below). */
const nonce = () => issueDpopNonce(secret, Date.now());
const line = (i: number) =>
  JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: `dpop-key-${i}-${Math.random()}`, uri: `/p/${i}`, status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' });

for (const runtime of RUNTIMES) {
  describe(`DPoP-bound API keys on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    let keys: Awaited<ReturnType<typeof generateKeyPair>>;
    let other: Awaited<ReturnType<typeof generateKeyPair>>;
    let bound = '';
    let plain = '';
    let boundIngestOnly = '';

    const ingest = (headers: Record<string, string>, url = `${BASE}/api/v1/ingest?format=nginx-json`) =>
      postIngest(
        new Request(url, { method: 'POST', headers: { host: 'localhost:3000', 'content-type': 'application/x-ndjson', ...headers }, body: line(1) + '\n' + line(2) + '\n' }),
      );
    const summary = (headers: Record<string, string>) => getSummary(new Request(`${BASE}/api/v1/summary`, { headers: { host: 'localhost:3000', ...headers } }));

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      registerSecretKey(secret);
      keys = await generateKeyPair('ES256');
      other = await generateKeyPair('ES256');
      const jkt = await calculateThumbprint(keys.publicKey);
      const admin = (await createApiKey(t.db, { name: 'admin', role: 'admin', actor: 'test' })).key;
      const res = await postKey(
        new Request(`${BASE}/api/v1/api-keys`, {
          method: 'POST',
          headers: { host: 'localhost:3000', authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'edge-gw', role: 'operator', dpopJkt: jkt }),
        }),
      );
      expect(res.status).toBe(201);
      bound = ((await res.json()) as { key: string }).key;
      plain = (await createApiKey(t.db, { name: 'plain', role: 'operator', actor: 'test' })).key;
      boundIngestOnly = (await createApiKey(t.db, { name: 'edge-shipper', role: 'analyst', scopes: ['ingest'], dpopJkt: jkt, actor: 'test' })).key;
      const list = (await (await listKeys(new Request(`${BASE}/api/v1/api-keys`, { headers: { authorization: `Bearer ${admin}` } }))).json()) as {
        apiKeys: Array<{ name: string; dpopJkt: string | null }>;
      };
      expect(list.apiKeys.find((k) => k.name === 'edge-gw')?.dpopJkt).toBe(jkt);
    }, 60_000);
    afterAll(async () => {
      registerDatabase(undefined);
      registerSecretKey(undefined);
      await t?.drop();
    });

    it('asks for a server nonce (401 use_dpop_nonce + DPoP-Nonce) and accepts the proof signed again with it', async (ctx) => {
      if (!t) return ctx.skip();
      const auth = { authorization: `DPoP ${bound}` };
      const first = await ingest({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/ingest`, 'POST', undefined, bound) });
      expect(first.status).toBe(401);
      expect(first.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
      const given = first.headers.get('dpop-nonce');
      expect(given && isCurrentDpopNonce(secret, given, Date.now())).toBe(true);
      expect(await first.json()).toMatchObject({ code: 'unauthorized', error: 'use_dpop_nonce' });
      const second = await ingest({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/ingest`, 'POST', given!, bound) });
      expect(second.status).toBe(200);
      expect(await second.json()).toMatchObject({ accepted: 2 });
      // The next nonce rides on the answer (RFC 9449 §8.2): a client that keeps going is not asked again.
      const next = second.headers.get('dpop-nonce');
      expect(isCurrentDpopNonce(secret, next, Date.now())).toBe(true);
      expect((await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', next!, bound) })).status).toBe(200);
      // A made-up nonce, or one MACed under another deployment's key, is not current: asked again.
      for (const bad of ['0.AAAAAAAAAAAAAAAAAAAAAAAA', issueDpopNonce(randomBytes(32), Date.now())]) {
        const r = await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', bad, bound) });
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
        expect(isCurrentDpopNonce(secret, r.headers.get('dpop-nonce'), Date.now())).toBe(true);
      }
      // HOLDFAST_DPOP_NONCE=off: proofs need no nonce (for clients that cannot retry).
      vi.stubEnv('HOLDFAST_DPOP_NONCE', 'off');
      try {
        expect((await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', undefined, bound) })).status).toBe(200);
      } finally {
        vi.unstubAllEnvs();
      }
    });

    it('accepts a bound key with a valid proof on ingest and summary', async (ctx) => {
      if (!t) return ctx.skip();
      const proof = await generateProof(keys, `${BASE}/api/v1/ingest`, 'POST', nonce(), bound);
      const r = await ingest({ authorization: `DPoP ${bound}`, dpop: proof });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ accepted: 2, rejected: 0 });
      const s = await summary({ authorization: `DPoP ${bound}`, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), bound) });
      expect(s.status).toBe(200);
      expect(await s.json()).toHaveProperty('tokens');
      // The query string is not part of htu (RFC 9449 §4.3).
      const q = await summary({ authorization: `DPoP ${bound}`, dpop: await generateProof(keys, `${BASE}/api/v1/summary?x=1`, 'GET', nonce(), bound) });
      expect(q.status).toBe(200);
    });

    const refused = async (res: Response, error: 'invalid_token' | 'invalid_dpop_proof', reason?: string) => {
      expect(res.status).toBe(401);
      const challenge = res.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^DPoP /);
      expect(challenge).toContain(`error="${error}"`);
      const body = (await res.json()) as { code: string; error: string; detail: string };
      expect(body).toMatchObject({ code: 'unauthorized', error });
      if (reason) expect(body.detail).toContain(reason);
      expect(JSON.stringify(body)).not.toContain(bound);
    };

    it('refuses a bound key presented as Bearer (with or without a proof)', async (ctx) => {
      if (!t) return ctx.skip();
      await refused(await ingest({ authorization: `Bearer ${bound}` }), 'invalid_token');
      await refused(await summary({ authorization: `Bearer ${bound}`, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), bound) }), 'invalid_token');
    });

    it('refuses a proof replayed to another instance on the same database', async (ctx) => {
      if (!t) return ctx.skip();
      // Instance B: its own pool and its own process-level state, sharing only the database (PGlite
      // is one instance by design: B is the same handle there, which must refuse as well).
      const b = t.url ? await openDatabase({ kind: 'postgres', url: t.url }) : t.db;
      try {
        const headers = (proof: string) => new Headers({ host: 'localhost:3000', authorization: `DPoP ${bound}`, dpop: proof });
        const target = { method: 'GET', url: `${BASE}/api/v1/summary` };
        const proof = await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), bound);
        expect((await summary({ authorization: `DPoP ${bound}`, dpop: proof })).status).toBe(200); // instance A takes it
        await expect(principalFromRequest(b, headers(proof), target)).rejects.toMatchObject({ code: 'unauthorized', message: expect.stringContaining('jti_replay') });
        // A fresh proof still works on B, and is then refused on A.
        const fresh = await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), bound);
        expect(await principalFromRequest(b, headers(fresh), target)).toMatchObject({ kind: 'apikey' });
        await refused(await summary({ authorization: `DPoP ${bound}`, dpop: fresh }), 'invalid_dpop_proof', 'jti_replay');
        // Only a hash of "htu jti" is kept, never the proof.
        const seen = await t.db.query<{ keyHash: string }>(`SELECT "keyHash" FROM "DpopProofSeen"`);
        expect(seen.length).toBeGreaterThanOrEqual(2);
        expect(JSON.stringify(seen)).not.toContain(proof.split('.')[1]!.slice(0, 20));
      } finally {
        if (b !== t.db) await b.close();
      }
    });

    it('refuses missing, replayed, wrong-key, wrong-htu, wrong-htm, stale and ath-less proofs', async (ctx) => {
      if (!t) return ctx.skip();
      const auth = { authorization: `DPoP ${bound}` };
      await refused(await ingest(auth), 'invalid_dpop_proof');
      const once = await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), bound);
      expect((await summary({ ...auth, dpop: once })).status).toBe(200);
      await refused(await summary({ ...auth, dpop: once }), 'invalid_dpop_proof', 'jti_replay');
      await refused(await summary({ ...auth, dpop: await generateProof(other, `${BASE}/api/v1/summary`, 'GET', nonce(), bound) }), 'invalid_dpop_proof', 'jkt_mismatch');
      await refused(await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/ingest`, 'GET', nonce(), bound) }), 'invalid_dpop_proof', 'htu');
      await refused(await summary({ ...auth, dpop: await generateProof(keys, `https://evil.example/api/v1/summary`, 'GET', nonce(), bound) }), 'invalid_dpop_proof', 'htu');
      await refused(await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'POST', nonce(), bound) }), 'invalid_dpop_proof', 'htm');
      const current = nonce(); // a current nonce: iat alone makes this proof stale
      const clock = vi.spyOn(Date, 'now').mockReturnValue(Date.now() - 3600_000); // a proof made an hour ago
      const stale = await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', current, bound);
      clock.mockRestore();
      await refused(await summary({ ...auth, dpop: stale }), 'invalid_dpop_proof', 'iat');
      await refused(await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce()) }), 'invalid_dpop_proof', 'ath');
      await refused(await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), plain) }), 'invalid_dpop_proof', 'ath');
      await refused(await summary({ ...auth, dpop: 'not.a.proof' }), 'invalid_dpop_proof');
      const p = await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), bound);
      await refused(await summary({ ...auth, dpop: `${p}, ${p}` }), 'invalid_dpop_proof');
    });

    it('nothing was ingested by refused requests; unbound keys keep working as Bearer', async (ctx) => {
      if (!t) return ctx.skip();
      const before = Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Request"`))[0]!.n);
      await refused(await ingest({ authorization: `Bearer ${bound}` }), 'invalid_token');
      expect(Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Request"`))[0]!.n)).toBe(before);
      expect((await ingest({ authorization: `Bearer ${plain}` })).status).toBe(200);
      // An unbound key may use DPoP too, but then the proof must be valid for it.
      expect((await summary({ authorization: `DPoP ${plain}`, dpop: await generateProof(other, `${BASE}/api/v1/summary`, 'GET', nonce(), plain) })).status).toBe(200);
      await refused(await summary({ authorization: `DPoP ${plain}` }), 'invalid_dpop_proof');
    });

    it('a bound key with the ingest scope and a valid proof ingests, and gets 403 (not 401) on summary', async (ctx) => {
      if (!t) return ctx.skip();
      const auth = { authorization: `DPoP ${boundIngestOnly}` };
      expect((await ingest({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/ingest`, 'POST', nonce(), boundIngestOnly) })).status).toBe(200);
      const s = await summary({ ...auth, dpop: await generateProof(keys, `${BASE}/api/v1/summary`, 'GET', nonce(), boundIngestOnly) });
      expect(s.status).toBe(403);
      expect(((await s.json()) as { code: string }).code).toBe('forbidden');
    });

    it('rejects a malformed dpopJkt with 422 and stores nothing', async (ctx) => {
      if (!t) return ctx.skip();
      const admin = (await createApiKey(t.db, { name: 'admin2', role: 'admin', actor: 'test' })).key;
      const res = await postKey(
        new Request(`${BASE}/api/v1/api-keys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'bad', role: 'analyst', dpopJkt: 'short' }),
        }),
      );
      expect(res.status).toBe(422);
      expect(await t.db.prisma.apiKey.count({ where: { name: 'bad' } })).toBe(0);
    });
  });
}

describe('htu: the URL as the client addressed it', () => {
  const req = { method: 'GET', url: 'http://0.0.0.0:3000/api/v1/summary?x=1' };
  it('uses the Host header, ignores forwarding headers unless HOLDFAST_TRUST_PROXY=1', () => {
    const h = new Headers({ host: 'holdfast.internal:3000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' });
    expect(addressedUrl(req, h, {})).toBe('http://holdfast.internal:3000/api/v1/summary?x=1');
    expect(addressedUrl(req, h, { HOLDFAST_TRUST_PROXY: '1' })).toBe('https://evil.example/api/v1/summary?x=1');
  });
  it('prefers HOLDFAST_PUBLIC_URL', () => {
    const h = new Headers({ host: 'x:1', 'x-forwarded-host': 'evil.example' });
    expect(addressedUrl(req, h, { HOLDFAST_PUBLIC_URL: 'https://holdfast.example.com/', HOLDFAST_TRUST_PROXY: '1' })).toBe('https://holdfast.example.com/api/v1/summary?x=1');
  });
});
