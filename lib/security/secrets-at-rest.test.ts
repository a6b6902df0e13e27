// Secrets at rest: run the real flows into ONE database per runtime — demo seed, ingest of an
// NGINX JSON log whose lines carry raw Authorization (Bearer and DPoP) values, real DPoP proofs
// and tokens in query strings, API key creation (plain and DPoP-bound), password sign-in (good
// and mistyped) with a session, connectors with sealed secrets (webhook HMAC secret, a CRL CA
// private key PEM), a revocation with the raw token supplied — then read every row of every
// table as JSON text and look for each secret we handed in. None may appear, in clear or hex.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-keys.ts';
import { createSession } from '../auth/sessions.ts';
import { createUser, signInWithPassword } from '../auth/users.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import { CERT_PEM, NGINX_JSON_FULL, SECRET_JWT, SECRET_OPAQUE, SECRET_PROOF } from '../ingest/testing/samples.ts';
import { requestRevocation } from '../revocation/request-revocation.ts';
import { createConnector } from '../revocation/connector-store.ts';
import { seedDemo } from '../seed/seed-demo.ts';
import { ingestAndEvaluate } from '../services/ingest/run.ts';
import { nginxJsonLine } from '../services/ingest/testing/generate.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u(claims)}.${randomBytes(64).toString('base64url')}`;

async function* bytes(text: string): AsyncGenerator<Uint8Array> {
  const buf = Buffer.from(text);
  for (let i = 0; i < buf.length; i += 4096) yield buf.subarray(i, i + 4096);
}

for (const runtime of RUNTIMES) {
  describe(`no secret at rest on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    const secrets = new Map<string, string>(); // label → value that must never be stored
    const covered: string[] = [];
    const canaries: string[] = [];

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      const db = t.db;
      const key = randomBytes(32);
      const now = Math.floor(Date.now() / 1000);

      await seedDemo(db, { seed: 7 });
      covered.push('demo seed');

      // Tokens and proofs we built, sent the way gateways log them.
      const bearer = jwt({ iss: 'https://as.test', sub: 'svc-scan', client_id: 'svc-scan', jti: `scan-${randomBytes(6).toString('hex')}`, exp: now + 3600, iat: now });
      const keys = await generateKeyPair('ES256');
      const jkt = await calculateThumbprint(keys.publicKey);
      const dpopToken = jwt({ iss: 'https://as.test', sub: 'svc-dpop', client_id: 'svc-dpop', jti: `scan-d-${randomBytes(6).toString('hex')}`, exp: now + 3600, iat: now, cnf: { jkt } });
      const proof = await generateProof(keys, 'https://api.example.com/v1/orders/1', 'GET', undefined, dpopToken);
      const opaque = `opq_${randomBytes(24).toString('base64url')}`;
      const brokenSecret = `brk_${randomBytes(24).toString('base64url')}`;
      secrets.set('secret in a rejected line', brokenSecret);
      secrets.set('bearer JWT', bearer).set('DPoP-bound JWT', dpopToken).set('DPoP proof', proof).set('opaque token', opaque);
      secrets.set('fixture JWT', SECRET_JWT).set('fixture proof', SECRET_PROOF).set('fixture opaque', SECRET_OPAQUE);
      // The signature part alone must not be kept either (a JWT minus its signature is not secret).
      secrets.set('bearer JWT signature', bearer.split('.')[2]!).set('proof signature', proof.split('.')[2]!);

      const base = JSON.parse(nginxJsonLine(1)) as Record<string, unknown>;
      const lines = [
        JSON.stringify({ ...base, request_id: 'scan-bearer', authz_scheme: 'Bearer', http_authorization: `Bearer ${bearer}`, has_dpop: '0' }),
        JSON.stringify({ ...base, request_id: 'scan-dpop', method: 'GET', uri: '/v1/orders/1', authz_scheme: 'DPoP', http_authorization: `DPoP ${dpopToken}`, has_dpop: '1', http_dpop: proof }),
        JSON.stringify({ ...base, request_id: 'scan-query', uri: `/v1/orders?access_token=${opaque}&x=1`, authz_scheme: '', http_authorization: '' }),
        JSON.stringify({ ...base, request_id: 'scan-bearer-as-dpop', authz_scheme: 'Bearer', http_authorization: `Bearer ${dpopToken}`, has_dpop: '1', http_dpop: proof }),
        NGINX_JSON_FULL,
        // A broken line carrying a secret: rejected lines keep a reason, never the line itself.
        `{"request_id":"scan-broken","http_authorization":"Bearer ${brokenSecret}", "status": `,
        ...Array.from({ length: 200 }, (_, i) => nginxJsonLine(10_000 + i)),
      ];
      const summary = await ingestAndEvaluate(db, bytes(lines.join('\n') + '\n'), { format: 'nginx-json', sourceName: 'scan-edge', actor: 'test' });
      expect(summary.rejected, JSON.stringify(summary.errors)).toBe(1);
      covered.push(`ingest (${summary.accepted} lines with raw Authorization, DPoP proofs, tokens in query; 1 rejected line carrying a token)`);

      // API keys, plain and DPoP-bound.
      secrets.set('API key', (await createApiKey(db, { name: 'scan-gw', role: 'analyst', scopes: ['ingest'], actor: 'test' })).key);
      secrets.set('bound API key', (await createApiKey(db, { name: 'scan-gw-bound', role: 'analyst', scopes: ['ingest'], dpopJkt: jkt, actor: 'test' })).key);
      covered.push('API key creation');

      // Password sign-in, a mistyped attempt, a session.
      const password = `Scan-${randomBytes(12).toString('base64url')}`;
      const typo = `${password}x`;
      secrets.set('password', password).set('mistyped password', typo);
      await createUser(db, { email: 'scan@example.test', role: 'operator', password, actor: 'test' });
      expect((await signInWithPassword(db, 'scan@example.test', typo, { ip: '203.0.113.5' })).ok).toBe(false);
      const ok = await signInWithPassword(db, 'scan@example.test', password, { ip: '203.0.113.5' });
      if (!ok.ok) throw new Error('sign-in failed');
      const s = await createSession(db, ok.user.id, { hours: 1, ip: '203.0.113.5', userAgent: 'scan' });
      secrets.set('session cookie', s.cookieValue);
      covered.push('password sign-in (good and bad) and session');

      // Connector secrets: an HMAC secret and a CA private key (the CRL publisher's).
      const hmac = `whsec_${randomBytes(24).toString('base64url')}`;
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const caKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      secrets.set('webhook HMAC secret', hmac).set('CA private key body', caKeyPem.split('\n')[1]!);
      await createConnector(db, key, { name: 'scan-webhook', kind: 'webhook', matchIssuer: '*', config: { url: 'http://127.0.0.1:9/hook' }, secrets: { hmacSecret: hmac } }, 'test');
      await createConnector(db, key, { name: 'scan-crl', kind: 'crl', config: { caName: 'scan-ca', caCertPem: CERT_PEM }, secrets: { caKeyPem } }, 'test');
      covered.push('connector creation (sealed HMAC secret, sealed CA private key)');

      // A revocation with the raw token supplied (sealed on the leg for an RFC 7009 peer).
      const token = await db.prisma.token.findFirst({ where: { fingerprint: fingerprintToken(bearer) }, select: { id: true } });
      expect(token, 'the ingested bearer token is in the estate').not.toBeNull();
      await requestRevocation(db, key, { tokenIds: [token!.id], rawToken: bearer, reason: 'secrets-at-rest scan', actor: 'user:scan@example.test' });
      covered.push('revocation with a raw token');
      secrets.set('instance secret key', key.toString('base64'));
      // Canaries the scan must find, so a scan that reads nothing cannot pass.
      canaries.push(fingerprintToken(bearer), 'scan-edge', 'scan@example.test', 'secrets-at-rest scan');
    }, 300_000);
    afterAll(async () => {
      await t?.drop();
    });

    it('no table holds a raw token, proof, API key, password, session cookie or private key', async (ctx) => {
      if (!t) return ctx.skip();
      const tables = await t.db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`,
      );
      expect(tables.length).toBeGreaterThan(10);
      const needles = [...secrets].flatMap(([label, v]) => [
        { label, v },
        { label: `${label} (hex)`, v: Buffer.from(v).toString('hex') },
      ]);
      needles.push({ label: 'private key PEM marker', v: 'PRIVATE KEY-----' });
      const hits: string[] = [];
      const seen = new Set<string>();
      let rows = 0;
      for (const { table_name: name } of tables) {
        const page = 5000;
        for (let offset = 0; ; offset += page) {
          const batch = await t.db.query<{ j: string }>(`SELECT row_to_json(t)::text AS j FROM "${name.replace(/"/g, '""')}" t LIMIT ${page} OFFSET ${offset}`);
          for (const { j } of batch) {
            rows++;
            for (const n of needles) if (j.includes(n.v)) hits.push(`${name}: ${n.label}`);
            for (const c of canaries) if (j.includes(c)) seen.add(c);
          }
          if (batch.length < page) break;
        }
      }
      console.log(`[secrets-at-rest ${runtime}] ${tables.length} tables, ${rows} rows, ${needles.length} needles; flows: ${covered.join('; ')}`);
      expect([...new Set(hits)]).toEqual([]);
      expect([...seen].sort()).toEqual([...canaries].sort());
      expect(rows).toBeGreaterThan(1000);
    }, 300_000);
  });
}
