// End to end with real software, on both runtimes: tokens from a real oidc-provider (DPoP-bound
// and bearer, then the bearer one revoked) ingested via RFC 7662 introspection; a real NGINX
// mTLS gateway (test CA + CRL) driven by real TLS clients with good, mismatched, revoked,
// expired, untrusted and missing certificates, real DPoP proofs (fresh, replayed, wrong key,
// missing) and bound/unbound tokens; its JSON and combined logs ingested with the verdicts this
// test knows to be right; a re-send changes nothing; the revoked token seen again is linked and
// raises replay_after_revocation. Then the verdict matrix of issue #16: every client certificate
// kind (good, mismatched, revoked, expired, not yet valid, untrusted, self-signed, wrong purpose,
// forged, missing …) × every token kind (mTLS-bound, DPoP-bound, stolen, bearer, unbound under the
// DPoP scheme, expired) through the real gateway, each verdict against testing/verdict-matrix.ts. Events are
// read through the estate service (listEvents), so the test holds whichever storage keeps them.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { generateKeyPair, generateProof } from 'dpop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256B64url } from '../../ingest/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { evaluateFindings } from '../findings/index.ts';
import { exportToFile } from '../frameworks/index.ts';
import { ingestStream } from './pipeline.ts';
import { CLIENT_CERTS, findNginx, requestIdsByPath, startNginxGateway, type ClientCert, type NginxGateway } from './testing/nginx-gateway.ts';
import { allEvents, everyStoredRow } from './testing/stored-events.ts';
import { startTestAuthorizationServer, TEST_CLIENT, type TestAuthorizationServer } from './testing/oidc-as.ts';
import { expectedVerdict, MATRIX_BINDING, MATRIX_TOKENS, matrixTokens, presentToken, type MatrixClient } from './testing/verdict-matrix.ts';
import { OSCAL_SCHEMA_PATH } from '../../frameworks/testing/oscal-schema.ts';

const OSCAL_SCHEMA = OSCAL_SCHEMA_PATH;
const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
const describeReal = NGINX || IN_CI ? describe : describe.skip;
if (!NGINX && !IN_CI) console.warn('real-peers.test.ts: skipped — nginx is not installed (apt-get install -y nginx)');

const CLIENT = TEST_CLIENT;
const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

interface Case {
  name: string;
  cert: ClientCert | null;
  headers: () => Promise<Record<string, string>>;
  status: number;
  /** Verdict and reason the pipeline must give the JSON-log line. */
  verdict: string;
  reason: string | null;
  token: 'dpop' | 'bearer' | 'mtls' | null;
}

describeReal('ingest of real NGINX and oidc-provider output', () => {
  let as: TestAuthorizationServer;
  let issuer = '';
  let gw: NginxGateway;
  let dpopToken = '';
  let bearerToken = '';
  let mtlsJwt = '';
  let introspectionBefore = '';
  let introspectionAfter = '';
  let revokedAt = new Date(0);
  let logs: { json: string; combined: string };
  const cases: Case[] = [];
  let gwMatrix: NginxGateway;
  let matrixLog = '';
  let matrixClient: MatrixClient;
  const matrix: Array<{ path: string; cert: ClientCert | null; token: (typeof MATRIX_TOKENS)[number] }> = [];

  const introspect = (token: string) => as.introspect(token);

  beforeAll(async () => {
    // ── the authorization server
    as = await startTestAuthorizationServer();
    issuer = as.issuer;
    const keys = await generateKeyPair('ES256');
    const otherKeys = await generateKeyPair('ES256');
    dpopToken = await as.token(keys);
    bearerToken = await as.token();
    introspectionBefore = (await Promise.all([dpopToken, bearerToken].map(async (t) => JSON.stringify({ ...(await introspect(t)), token: t })))).join('\n') + '\n';

    // ── the gateway and its clients
    gw = await startNginxGateway(NGINX!);
    mtlsJwt = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ iss: issuer, sub: 'svc-bound', client_id: 'svc-bound', jti: 'mtls-1', exp: 4_000_000_000, cnf: { 'x5t#S256': gw.certs.good.x5t } })}.ZmFrZS1zaWduYXR1cmU`;
    const htu = (name: string) => `https://api.test/case/${name}`;
    let okProof = '';
    cases.push(
      { name: 'dpop-ok', cert: 'good', token: 'dpop', status: 200, verdict: 'ok', reason: null,
        headers: async () => ({ authorization: `DPoP ${dpopToken}`, dpop: (okProof = await generateProof(keys, htu('dpop-ok'), 'GET', undefined, dpopToken)) }) },
      // The same proof again (query strings are not part of htu): a replayed jti the gateway let through.
      { name: 'dpop-ok?again=1', cert: 'good', token: 'dpop', status: 200, verdict: 'bound_not_enforced', reason: 'jti_replay',
        headers: async () => ({ authorization: `DPoP ${dpopToken}`, dpop: okProof }) },
      { name: 'dpop-wrong-key', cert: 'good', token: 'dpop', status: 200, verdict: 'bound_not_enforced', reason: 'jkt_mismatch',
        headers: async () => ({ authorization: `DPoP ${dpopToken}`, dpop: await generateProof(otherKeys, htu('dpop-wrong-key'), 'GET', undefined, dpopToken) }) },
      { name: 'dpop-wrong-htu', cert: 'good', token: 'dpop', status: 200, verdict: 'bound_not_enforced', reason: 'htu',
        headers: async () => ({ authorization: `DPoP ${dpopToken}`, dpop: await generateProof(keys, htu('somewhere-else'), 'GET', undefined, dpopToken) }) },
      { name: 'dpop-no-proof', cert: null, token: 'dpop', status: 200, verdict: 'bound_not_enforced', reason: 'no_proof',
        headers: async () => ({ authorization: `DPoP ${dpopToken}` }) },
      { name: 'dpop-as-bearer', cert: null, token: 'dpop', status: 200, verdict: 'bound_not_enforced', reason: 'bearer_scheme_for_dpop_token',
        headers: async () => ({ authorization: `Bearer ${dpopToken}`, dpop: await generateProof(keys, htu('dpop-as-bearer'), 'GET', undefined, dpopToken) }) },
      { name: 'bearer', cert: 'good', token: 'bearer', status: 200, verdict: 'bearer_unbound', reason: null,
        headers: async () => ({ authorization: `Bearer ${bearerToken}` }) },
      { name: 'mtls-ok', cert: 'good', token: 'mtls', status: 200, verdict: 'ok', reason: null, headers: async () => ({ authorization: `Bearer ${mtlsJwt}` }) },
      { name: 'mtls-mismatch', cert: 'other', token: 'mtls', status: 200, verdict: 'bound_not_enforced', reason: 'x5t_mismatch',
        headers: async () => ({ authorization: `Bearer ${mtlsJwt}` }) },
      { name: 'mtls-no-cert', cert: null, token: 'mtls', status: 200, verdict: 'bound_not_enforced', reason: 'no_certificate',
        headers: async () => ({ authorization: `Bearer ${mtlsJwt}` }) },
      { name: 'cert-revoked', cert: 'revoked', token: null, status: 400, verdict: 'cert_revoked', reason: 'certificate revoked', headers: async () => ({}) },
      { name: 'cert-expired', cert: 'expired', token: null, status: 400, verdict: 'cert_expired', reason: 'certificate has expired', headers: async () => ({}) },
      { name: 'cert-untrusted', cert: 'untrusted', token: null, status: 400, verdict: 'cert_untrusted', reason: null, headers: async () => ({}) },
      { name: 'anonymous', cert: null, token: null, status: 200, verdict: 'ok', reason: 'binding_unknown', headers: async () => ({}) },
    );
    for (const c of cases) expect(await gw.request(`/case/${c.name}`, c.cert, await c.headers()), c.name).toBe(c.status);

    // ── the matrix, on a gateway of its own: every certificate kind × every token kind
    gwMatrix = await startNginxGateway(NGINX!);
    matrixClient = { tokens: matrixTokens(issuer, gwMatrix.certs.good.x5t, dpopToken, bearerToken), keys, otherKeys };
    for (const cert of [...CLIENT_CERTS, null]) {
      for (const token of MATRIX_TOKENS) {
        const path = `/matrix/${cert ?? 'none'}/${token}`;
        matrix.push({ path, cert, token });
        expect(await gwMatrix.request(path, cert, await presentToken(matrixClient, token, path)), path).toBe(expectedVerdict(cert, token).status);
      }
    }
    matrixLog = (await gwMatrix.stop()).json;

    // ── revoke the bearer token at the AS; the client keeps using it
    expect(await as.revoke(bearerToken)).toBe(200);
    revokedAt = new Date();
    const after = await introspect(bearerToken);
    expect(after).toEqual({ active: false });
    // RFC 7662 says only {"active":false}; the inventory job that introspects adds what it knew
    // (the token and the client it was issued to), or the record would name no identity.
    introspectionAfter = JSON.stringify({ ...after, client_id: CLIENT.id, token: bearerToken }) + '\n';
    await new Promise((r) => setTimeout(r, 1100)); // NGINX logs whole seconds
    expect(await gw.request('/case/bearer-after-revocation', 'good', { authorization: `Bearer ${bearerToken}` })).toBe(200);
    logs = await gw.stop();
  }, 120_000);

  afterAll(async () => {
    gw?.cleanup();
    gwMatrix?.cleanup();
    await as?.close();
  });

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, () => {
      let t: TestDatabase | undefined;
      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) return;
        t = await openTestDatabase(runtime);
      }, 60_000);
      afterAll(async () => t?.drop());

      it('ingests introspection, both NGINX logs and the revocation with the right verdicts; a re-send changes nothing', async (ctx) => {
        if (!t) return ctx.skip();
        const db = t.db;
        const intro = await ingestStream(db, [introspectionBefore], { format: 'introspection', sourceName: 'oidc-provider', actor: 'test' });
        expect(intro).toMatchObject({ linesRead: 2, accepted: 2, rejected: 0 });
        const revoke = await ingestStream(db, [introspectionAfter], { format: 'introspection', sourceName: 'oidc-provider', actor: 'test', now: () => revokedAt });
        expect(revoke).toMatchObject({ accepted: 1, rejected: 0 });

        const json = await ingestStream(db, [readFileSync(logs.json)], { format: 'nginx-json', sourceName: 'edge-nginx', actor: 'test' });
        expect(json).toMatchObject({ linesRead: cases.length + 1, accepted: cases.length + 1, rejected: 0, duplicates: 0 });

        // Each line's request id, by its path: events are found by request id (every storage keeps it).
        const idOf = requestIdsByPath(logs.json);
        const tokensById = new Map(
          (await db.query<{ id: string; fingerprint: string; binding: string }>(`SELECT id::text AS id, fingerprint, binding::text AS binding FROM "Token"`)).map((x) => [x.id, x]),
        );
        const events = await allEvents(db);
        const rows = events.map((e) => {
          const tok = e.tokenId ? tokensById.get(e.tokenId) : undefined;
          return { ...e, fp: tok?.fingerprint ?? null, binding: tok?.binding ?? null };
        });
        const byName = new Map<string, (typeof rows)[number]>();
        for (const [uri, id] of idOf) {
          const r = rows.find((x) => x.requestId === id);
          if (r) byName.set(uri.replace('/case/', ''), r);
        }
        const fpOf = { dpop: sha256B64url(dpopToken), bearer: sha256B64url(bearerToken), mtls: sha256B64url(mtlsJwt) };
        for (const c of cases) {
          const r = byName.get(c.name);
          expect(r, c.name).toBeDefined();
          expect({ name: c.name, verdict: r!.verdict, status: r!.httpStatus }).toEqual({ name: c.name, verdict: c.verdict, status: c.status });
          if (c.name === 'cert-untrusted') expect(r!.reason).toMatch(/^unable to/);
          else expect(r!.reason, c.name).toBe(c.reason);
          if (c.token) {
            expect(r!.fp, `${c.name} links its token`).toBe(fpOf[c.token]);
            expect(r!.binding, c.name).toBe(c.token);
          }
        }
        expect(byName.get('dpop-ok')!.identity).toBe(CLIENT.id);
        expect(byName.get('mtls-ok')!.identity).toBe('svc-bound');
        expect(byName.get('cert-revoked')!.identity).toBe('svc-b');
        const afterRevocation = byName.get('bearer-after-revocation')!;
        expect(afterRevocation).toMatchObject({ verdict: 'bearer_unbound', fp: fpOf.bearer });

        const certs = await db.query<{ x5tS256: string; status: string; sha1Hex: string }>(`SELECT "x5tS256", status, "sha1Hex" FROM "Certificate"`);
        const certBy = new Map(certs.map((c) => [c.x5tS256, c]));
        expect(certBy.get(gw.certs.revoked.x5t)?.status).toBe('revoked');
        expect(certBy.get(gw.certs.expired.x5t)?.status).toBe('expired');
        expect(certBy.get(gw.certs.good.x5t)).toMatchObject({ status: 'active', sha1Hex: gw.certs.good.sha1 });

        // The combined log records the same requests (same $request_id): under the same source,
        // every line is a duplicate; under its own source, the certificate verdicts agree.
        const combinedSame = await ingestStream(db, [readFileSync(logs.combined)], { format: 'nginx-combined', sourceName: 'edge-nginx', actor: 'test' });
        expect(combinedSame).toMatchObject({ accepted: 0, rejected: 0, duplicates: cases.length + 1 });
        const combined = await ingestStream(db, [readFileSync(logs.combined)], { format: 'nginx-combined', sourceName: 'edge-nginx-combined', actor: 'test' });
        expect(combined).toMatchObject({ accepted: cases.length + 1, rejected: 0 });
        // Both sources now hold each request once: the combined line's verdict is one of the two, so both must agree.
        const withCombined = await allEvents(db);
        const verdictsOf = (name: string) => withCombined.filter((e) => e.requestId === idOf.get(`/case/${name}`)).map((e) => e.verdict);
        for (const [name, verdict] of [['cert-revoked', 'cert_revoked'], ['cert-expired', 'cert_expired'], ['cert-untrusted', 'cert_untrusted'], ['dpop-no-proof', 'bound_not_enforced']] as const) {
          expect(verdictsOf(name), name).toEqual([verdict, verdict]);
        }

        // Re-send everything: counts and rows identical.
        const snapshot = async () => ({
          events: (await allEvents(db)).map((e) => JSON.stringify({ id: e.id, verdict: e.verdict, reason: e.reason, tokenId: e.tokenId, identityId: e.identityId })).sort(),
          tokens: await db.query(`SELECT fingerprint, binding::text, status, "revokedAt", "lastSeenAt", exposure FROM "Token" ORDER BY fingerprint`),
          identities: await db.query(`SELECT name, "lastSeenAt" FROM "Identity" ORDER BY name`),
          certificates: await db.query(`SELECT "x5tS256", status FROM "Certificate" ORDER BY "x5tS256"`),
        });
        const before = await snapshot();
        const again = await ingestStream(db, [readFileSync(logs.json)], { format: 'nginx-json', sourceName: 'edge-nginx', actor: 'test' });
        expect(again).toMatchObject({ linesRead: cases.length + 1, accepted: 0, duplicates: cases.length + 1 });
        const introAgain = await ingestStream(db, [introspectionBefore], { format: 'introspection', sourceName: 'oidc-provider', actor: 'test' });
        // The bearer token is revoked now; an inventory saying "active" never un-revokes it.
        expect(introAgain).toMatchObject({ accepted: 0, duplicates: 2 });
        expect(await snapshot()).toEqual(before);

        // The revoked token seen again: the findings engine raises replay_after_revocation.
        await evaluateFindings(db, { actor: 'test' });
        const findings = await db.query<{ rule: string; fp: string }>(
          `SELECT f.rule, t.fingerprint AS fp FROM "Finding" f JOIN "Token" t ON t.id = f."tokenId" WHERE f.rule = 'replay_after_revocation'`,
        );
        expect(findings.map((f) => f.fp)).toContain(fpOf.bearer);
        const raw = await everyStoredRow(db);
        for (const secret of [dpopToken, bearerToken, mtlsJwt]) expect(raw).not.toContain(secret);
      }, 120_000);

      // Issue #16 item 1: before the fix a failed certificate with a token gave the token's verdict
      // (bearer_unbound for a bearer token), undercounting revoked-certificate use.
      it('the verdict matrix: every certificate kind × every token kind gets the verdict the table gives; tokens keep their binding', async (ctx) => {
        if (!t) return ctx.skip();
        const db = t.db;
        await ingestStream(db, [introspectionBefore], { format: 'introspection', sourceName: 'oidc-provider', actor: 'test' });
        const r = await ingestStream(db, [readFileSync(matrixLog)], { format: 'nginx-json', sourceName: 'edge-nginx-matrix', actor: 'test' });
        expect(r).toMatchObject({ linesRead: matrix.length, accepted: matrix.length, rejected: 0 });
        const idOf = requestIdsByPath(matrixLog);
        const events = new Map((await allEvents(db)).map((e) => [e.requestId, e]));
        const got = matrix.map((m) => {
          const e = events.get(idOf.get(m.path)!);
          return { path: m.path, verdict: e?.verdict, reason: e?.reason, status: e?.httpStatus };
        });
        const want = matrix.map((m) => ({ path: m.path, ...expectedVerdict(m.cert, m.token) }));
        expect(got).toEqual(want);
        // Every certificate failure row says so, whatever token came with it.
        expect(got.filter((g) => g.status === 400).every((g) => g.verdict?.startsWith('cert_'))).toBe(true);

        // The certificate decided the request; the token's binding stayed a fact of the token.
        const stored = new Map(
          (await db.query<{ fingerprint: string; binding: string; bindingAnomaly: boolean }>(`SELECT fingerprint, binding::text AS binding, "bindingAnomaly" FROM "Token"`)).map((x) => [x.fingerprint, x]),
        );
        for (const token of MATRIX_TOKENS) {
          expect({ token, binding: stored.get(sha256B64url(matrixClient.tokens[token]))?.binding }).toEqual({ token, binding: MATRIX_BINDING[token] });
        }
      }, 120_000);

      // Issue 7: an OSCAL export of this real data validates against NIST's schema and holds no raw token.
      it('exports OSCAL assessment results from this real data: valid against the official schema, no raw token', async (ctx) => {
        if (!t) return ctx.skip();
        const file = path.join(mkdtempSync(path.join(tmpdir(), 'holdfast-real-oscal-')), 'real.oscal.json');
        const r = await exportToFile(t.db, { framework: 'nist-csf-2.0', format: 'oscal', actor: 'user:auditor@example.com', file });
        expect(r.findings).toBeGreaterThan(0);
        const text = readFileSync(file, 'utf8');
        const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
        const ajv = new Ajv({ strict: false, allErrors: true });
        addFormats(ajv);
        const validate = ajv.compile(JSON.parse(readFileSync(OSCAL_SCHEMA, 'utf8')) as object);
        expect(validate(JSON.parse(text)), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
        for (const secret of [dpopToken, bearerToken, mtlsJwt]) expect(text).not.toContain(secret);
        expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/);
      }, 120_000);
    });
  }
});
