// The generated NGINX enforcement configuration on the real gateway (Debian nginx 1.22 +
// libnginx-mod-http-js 0.7.9, test CA and CRL from openssl): a legitimate client passes, a stolen
// certificate-bound token replayed with another certificate, a bound token without a certificate
// and a bearer token are refused with 401 and the right WWW-Authenticate, none of them reaches the
// upstream, and the gateway's own log — ingested through the pipeline on both runtimes — shows the
// enforcement: the same clients through the recommended logging-only configuration are
// bound_not_enforced, through this one binding_mismatch / no_proof_for_bound_token with 401.
// DPoP: real proofs of every algorithm the module verifies pass; each check's failure is refused
// with its own reason; what the module does not check (jti replay) is shown to pass, as it says.
// Skips without nginx, unless CI=true.
import { createPrivateKey, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { exportJWK, generateKeyPair as joseKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ath, makeProof, type TestKey } from '../binding/testing/proofs.ts';
import { sha256B64url } from '../credentials/fingerprint.ts';
import { ingestStream } from '../services/ingest/pipeline.ts';
import { allEvents, everyStoredRow } from '../services/ingest/testing/stored-events.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createGatewayPki, type ClientName, type GatewayPki } from '../testing/gateway-pki.ts';
import { findNginx } from '../testing/processes.ts';
import type { RefusalReason } from './types.ts';
import { answeredVsExpected, jwt, MTLS_CLIENTS, mtlsTokens, nowS, rawJwt, runMtlsScenario, type MtlsScenarioRun } from './testing/clients.ts';
import { startEnforcingNginx, startLoggingOnlyNginx, startRecordingUpstream, type RecordingUpstream, type RunningGateway } from './testing/enforcing-nginx.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
const describeReal = NGINX || IN_CI ? describe : describe.skip;
if (!NGINX && !IN_CI) console.warn('nginx-enforcement-real.test.ts: skipped — nginx is not installed; set CI=true to make this a failure');

interface LogLine {
  uri: string;
  status: number;
  request_id: string;
  enforcement: string;
  enforcement_reason: string;
  enforcement_mode?: string;
}
const logLines = (text: string): LogLine[] => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine);

/** A DPoP key pair with what a proof needs: the public JWK, its thumbprint, a signer for hand-made proofs. */
interface ProofKey {
  alg: string;
  jkt: string;
  publicJwk: Record<string, unknown>;
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
}

async function joseProofKey(alg: 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'RS256' | 'RS512' | 'EdDSA'): Promise<ProofKey> {
  const { privateKey, publicKey } = await joseKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const publicJwk = (await exportJWK(publicKey)) as Record<string, unknown>;
  const { calculateJwkThumbprint } = await import('jose');
  return {
    alg,
    jkt: await calculateJwkThumbprint(publicJwk),
    publicJwk,
    sign: (claims, header = {}) =>
      new SignJWT({ jti: randomUUID(), iat: nowS(), ...claims }).setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk, ...header }).sign(privateKey),
  };
}

describeReal('NGINX enforcement (generated config) on the real gateway', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let logs: MtlsScenarioRun['logs'];
  let responses: MtlsScenarioRun['responses'];
  let boundToken = '';
  let bearerToken = '';

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-enforce-');
    upstream = await startRecordingUpstream();
    ({ bound: boundToken, bearer: bearerToken } = mtlsTokens(pki.clients.good.x5t));

    ({ responses, logs } = await runMtlsScenario(
      {
        before: await startLoggingOnlyNginx(NGINX, pki, 'before', upstream.url),
        enforced: await startEnforcingNginx(NGINX, pki, 'enforced', upstream.url, { require: 'mtls' }),
        reportOnly: await startEnforcingNginx(NGINX, pki, 'report-only', upstream.url, { require: 'mtls', mode: 'report_only' }),
      },
      { bound: boundToken, bearer: bearerToken },
    ));
  }, 60_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  it('answers each client: the legitimate one 200, the stolen, certificate-less and bearer ones 401 with Bearer error="invalid_token"', () => {
    const { got, want } = answeredVsExpected(responses);
    expect(got).toEqual(want);
  });

  it('a refused request never reaches the upstream; the passing one does, with the certificate from the TLS session', () => {
    const reached = upstream.paths.filter((p) => p.startsWith('/enforced/'));
    expect(reached).toEqual(['/enforced/api/legit']);
    expect(upstream.clientCert.get('/enforced/api/legit')).toBe(`:${pki.clients.good.derB64}:`);
    // Both the logging-only and the report-only gateways let every request through.
    expect(upstream.paths.filter((p) => p.startsWith('/before/'))).toHaveLength(MTLS_CLIENTS.length);
    expect(upstream.paths.filter((p) => p.startsWith('/report/'))).toHaveLength(MTLS_CLIENTS.length);
  });

  it('logs every request distinctly: enforcement passed or refused with the reason; report-only logs would_refuse and refuses nothing', () => {
    const enforcedLines = logLines(logs.enforced);
    expect(enforcedLines.map((l) => ({ uri: l.uri, status: l.status, enforcement: l.enforcement, reason: l.enforcement_reason, mode: l.enforcement_mode }))).toEqual(
      MTLS_CLIENTS.map((c) => ({
        uri: `/enforced${c.path}`, status: c.enforced.status, enforcement: c.enforced.status === 200 ? 'passed' : 'refused', reason: c.enforced.reason, mode: 'enforce',
      })),
    );
    expect(logLines(logs.reportOnly).map((l) => ({ status: l.status, enforcement: l.enforcement, reason: l.enforcement_reason, mode: l.enforcement_mode }))).toEqual(
      MTLS_CLIENTS.map((c) => ({ status: 200, enforcement: c.enforced.status === 200 ? 'passed' : 'would_refuse', reason: c.enforced.reason, mode: 'report_only' })),
    );
  });

  it('no log file holds a token (nor its payload)', () => {
    for (const text of Object.values(logs)) {
      for (const secret of [boundToken, bearerToken, boundToken.split('.')[1]!, bearerToken.split('.')[1]!]) expect(text).not.toContain(secret);
      expect(text).toContain(sha256B64url(boundToken));
    }
  });

  for (const runtime of RUNTIMES) {
    describe(`ingested on ${runtime}`, () => {
      let t: TestDatabase | undefined;
      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) return;
        t = await openTestDatabase(runtime);
      }, 60_000);
      afterAll(async () => t?.drop());

      it('the flip: logging-only → bound_not_enforced for the stolen and certificate-less clients; enforced → binding_mismatch / no_proof_for_bound_token with 401', async (ctx) => {
        if (!t) return ctx.skip();
        const db = t.db;
        for (const [source, text] of [['edge-before', logs.before], ['edge-enforced', logs.enforced], ['edge-report-only', logs.reportOnly]] as const) {
          const n = logLines(text).length;
          expect(await ingestStream(db, [text], { format: 'nginx-json', sourceName: source, actor: 'test' }), source).toMatchObject({ linesRead: n, accepted: n, rejected: 0 });
        }
        const byRequest = new Map((await allEvents(db)).map((e) => [e.requestId, e]));
        const stored = (text: string) =>
          logLines(text).map((l) => {
            const e = byRequest.get(l.request_id);
            return { uri: l.uri, verdict: e?.verdict, reason: e?.reason ?? null, status: e?.httpStatus };
          });
        expect(stored(logs.before)).toEqual(
          MTLS_CLIENTS.map((c) => ({ uri: `/before${c.path}`, verdict: c.loggingOnly.verdict, reason: c.loggingOnly.verdictReason, status: 200 })),
        );
        expect(stored(logs.enforced)).toEqual(
          MTLS_CLIENTS.map((c) => ({ uri: `/enforced${c.path}`, verdict: c.enforced.verdict, reason: c.enforced.verdictReason, status: c.enforced.status })),
        );
        expect(stored(logs.enforced).map((s) => s.verdict)).not.toContain('bound_not_enforced');
        // Report-only refuses nothing, so Holdfast must not call it enforced.
        expect(stored(logs.reportOnly).map((s) => s.verdict)).toEqual(MTLS_CLIENTS.map((c) => c.loggingOnly.verdict));
        const rows = await everyStoredRow(db);
        for (const secret of [boundToken, bearerToken]) expect(rows).not.toContain(secret);
      }, 60_000);
    });
  }
});

describeReal('NGINX enforcement of DPoP (require dpop) on the real gateway', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let gw: RunningGateway;
  let log = '';
  let victim: KeyPair;
  let victimJkt = '';
  let victimTestKey: TestKey;
  let thief: KeyPair;
  let token = '';
  const got = new Map<string, { status: number; challenge: string | undefined }>();
  const htu = (path: string) => `https://api.test:${gw.port}${path}`;
  const want: Array<{ path: string; status: number; reason: RefusalReason | ''; challenge?: RegExp }> = [];

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-enforce-dpop-');
    upstream = await startRecordingUpstream();
    gw = await startEnforcingNginx(NGINX, pki, 'dpop', upstream.url, { require: 'dpop', tls: { certificate: pki.serverCertPath, certificateKey: pki.serverKeyPath } });
    victim = await generateKeyPair('ES256', { extractable: true });
    victimJkt = await calculateThumbprint(victim.publicKey);
    const jwkOf = async (k: CryptoKey) => (await crypto.subtle.exportKey('jwk', k)) as Record<string, string>;
    const privateJwk = await jwkOf(victim.privateKey);
    const publicJwk = await jwkOf(victim.publicKey);
    victimTestKey = { privateKey: createPrivateKey({ key: privateJwk, format: 'jwk' }), publicJwk: { kty: 'EC', crv: 'P-256', x: publicJwk.x!, y: publicJwk.y! }, privateJwk };
    thief = await generateKeyPair('ES256');
    token = jwt({ client_id: 'agent-7', sub: 'agent-7', jti: 'dpop-bound-1', cnf: { jkt: victimJkt } });

    const send = async (path: string, status: number, reason: RefusalReason | '', headers: Record<string, string>, challenge?: RegExp, method = 'GET') => {
      want.push({ path, status, reason, challenge });
      const r = await gw.request(path, null, headers, method);
      got.set(path, { status: r.status, challenge: r.headers['www-authenticate'] as string | undefined });
    };
    const dpopAuth = { Authorization: `DPoP ${token}` };
    const invalidProof = /^DPoP error="invalid_dpop_proof", algs="ES256 /;
    const invalidToken = /^DPoP error="invalid_token", algs="/;
    const okProof = await generateProof(victim, htu('/dpop/ok'), 'GET', undefined, token);
    await send('/dpop/ok', 200, '', { ...dpopAuth, DPoP: okProof });
    // Not checked (njs 0.7 keeps no state between requests), and the notChecked list says so.
    await send('/dpop/ok?again=1', 200, '', { ...dpopAuth, DPoP: okProof });
    await send('/dpop/post', 200, '', { ...dpopAuth, DPoP: await generateProof(victim, htu('/dpop/post'), 'POST', undefined, token) }, undefined, 'POST');
    await send('/dpop/thief-key', 401, 'jkt_mismatch', { ...dpopAuth, DPoP: await generateProof(thief, htu('/dpop/thief-key'), 'GET', undefined, token) }, invalidToken);
    await send('/dpop/no-proof', 401, 'no_proof', dpopAuth, invalidToken);
    await send('/dpop/as-bearer', 401, 'bearer_scheme_for_dpop_token', { Authorization: `Bearer ${token}`, DPoP: await generateProof(victim, htu('/dpop/as-bearer'), 'GET', undefined, token) }, invalidToken);
    await send('/dpop/wrong-htu', 401, 'htu', { ...dpopAuth, DPoP: await generateProof(victim, htu('/elsewhere'), 'GET', undefined, token) }, invalidProof);
    await send('/dpop/wrong-htm', 401, 'htm', { ...dpopAuth, DPoP: await generateProof(victim, htu('/dpop/wrong-htm'), 'POST', undefined, token) }, invalidProof);
    await send('/dpop/no-ath', 401, 'ath', { ...dpopAuth, DPoP: await generateProof(victim, htu('/dpop/no-ath'), 'GET') }, invalidProof);
    // Proof claims as a client's own software would never send them: hand-made, signed with the victim's key.
    const claims = (path: string, extra: Record<string, unknown> = {}) => ({ htm: 'GET', htu: htu(path), ath: ath(token), ...extra });
    await send('/dpop/old-iat', 401, 'iat', { ...dpopAuth, DPoP: makeProof(victimTestKey, claims('/dpop/old-iat', { iat: nowS() - 301 })) }, invalidProof);
    await send('/dpop/future-iat', 401, 'iat', { ...dpopAuth, DPoP: makeProof(victimTestKey, claims('/dpop/future-iat', { iat: nowS() + 60 })) }, invalidProof);
    await send('/dpop/typ', 401, 'typ', { ...dpopAuth, DPoP: makeProof(victimTestKey, claims('/dpop/typ'), { typ: 'jwt' }) }, invalidProof);
    await send('/dpop/alg-none', 401, 'alg', { ...dpopAuth, DPoP: makeProof(victimTestKey, claims('/dpop/alg-none'), { alg: 'none' }) }, invalidProof);
    await send('/dpop/private-key', 401, 'private_key_in_jwk', { ...dpopAuth, DPoP: makeProof(victimTestKey, claims('/dpop/private-key'), { jwk: privateJwk }) }, invalidProof);
    // A thief who copied the victim's public key into a proof it cannot sign.
    const forged = makeProof(victimTestKey, claims('/dpop/forged-signature')).split('.');
    await send('/dpop/forged-signature', 401, 'signature', { ...dpopAuth, DPoP: `${forged[0]}.${forged[1]}.${randomBytes(64).toString('base64url')}` }, invalidProof);
    await send('/dpop/two-proofs', 401, 'malformed', { ...dpopAuth, DPoP: [okProof, okProof] as unknown as string }, invalidProof);
    await send('/dpop/no-token', 401, 'no_token', {}, /^DPoP algs="/);
    await send('/dpop/mtls-bound-token', 401, 'binding_required', { Authorization: `Bearer ${jwt({ sub: 's', cnf: { 'x5t#S256': pki.clients.good.x5t } })}` }, /^Bearer error="invalid_token"$/);
    await send('/dpop/opaque', 401, 'opaque_token', { Authorization: 'DPoP opq_NotAJwt_8f2c1' }, invalidToken);

    // Every algorithm the module verifies, with a key of its own bound to its own token.
    for (const alg of ['ES384', 'ES512', 'PS256', 'PS384', 'RS256', 'RS512'] as const) {
      const k = await joseProofKey(alg);
      const bound = jwt({ sub: `agent-${alg}`, cnf: { jkt: k.jkt } });
      const path = `/dpop/alg-${alg}`;
      await send(path, 200, '', { Authorization: `DPoP ${bound}`, DPoP: await k.sign({ htm: 'GET', htu: htu(path), ath: ath(bound) }) });
    }
    const ed = await joseProofKey('EdDSA');
    const edBound = jwt({ sub: 'agent-ed', cnf: { jkt: ed.jkt } });
    await send('/dpop/alg-EdDSA', 401, 'alg', { Authorization: `DPoP ${edBound}`, DPoP: await ed.sign({ htm: 'GET', htu: htu('/dpop/alg-EdDSA'), ath: ath(edBound) }) }, invalidProof);
    log = await gw.stop();
  }, 90_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  it('each request gets the status and challenge its proof deserves', () => {
    const actual = want.map((w) => ({ path: w.path, status: got.get(w.path)?.status, challenge: w.challenge ? w.challenge.test(got.get(w.path)?.challenge ?? '') : undefined }));
    expect(actual).toEqual(want.map((w) => ({ path: w.path, status: w.status, challenge: w.challenge ? true : undefined })));
    // A pass carries no challenge.
    expect(got.get('/dpop/ok')?.challenge).toBeUndefined();
  });

  it('logs each refusal with its own reason', () => {
    const lines = new Map(logLines(log).map((l) => [l.uri, l]));
    expect(want.map((w) => ({ path: w.path, enforcement: lines.get(w.path)?.enforcement, reason: lines.get(w.path)?.enforcement_reason }))).toEqual(
      want.map((w) => ({ path: w.path, enforcement: w.status === 200 ? 'passed' : 'refused', reason: w.reason })),
    );
  });

  it('only the passing requests reach the upstream', () => {
    expect(upstream.paths.sort()).toEqual(want.filter((w) => w.status === 200).map((w) => w.path).sort());
  });

  it('the log holds no token and no proof', () => {
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[1]!);
    expect(log).not.toMatch(/eyJ0eXAiOiJkcG9wK2p3dC|"dpop\+jwt"/);
    expect(log).not.toContain('opq_NotAJwt_8f2c1');
  });
});

describeReal('NGINX enforcement of require bound with a maximum TTL, scoped to a prefix', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  const got = new Map<string, number>();
  let log = '';

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-enforce-bound-');
    upstream = await startRecordingUpstream();
    const gw = await startEnforcingNginx(NGINX, pki, 'bound', upstream.url, { require: 'bound', maxTtlSeconds: 3600, scope: { serverName: 'api.test', locationPrefix: '/api/' } });
    const k = await generateKeyPair('ES256');
    const jkt = await calculateThumbprint(k.publicKey);
    const cases: Array<[string, ClientName | null, () => Promise<Record<string, string>>]> = [
      ['/api/mtls', 'good', async () => ({ Authorization: `Bearer ${jwt({ sub: 'a', cnf: { 'x5t#S256': pki.clients.good.x5t } })}` })],
      ['/api/dpop', null, async () => {
        const t = jwt({ sub: 'b', cnf: { jkt } });
        return { Authorization: `DPoP ${t}`, DPoP: await generateProof(k, `https://api.test:${gw.port}/api/dpop`, 'GET', undefined, t) };
      }],
      ['/api/bearer', 'good', async () => ({ Authorization: `Bearer ${jwt({ sub: 'c' })}` })],
      ['/api/both-cnf', 'good', async () => ({ Authorization: `Bearer ${jwt({ sub: 'd', cnf: { jkt, 'x5t#S256': pki.clients.good.x5t } })}` })],
      ['/api/ttl-2h', 'good', async () => ({ Authorization: `Bearer ${jwt({ sub: 'e', iat: nowS(), exp: nowS() + 7200, cnf: { 'x5t#S256': pki.clients.good.x5t } })}` })],
      ['/api/ttl-1h', 'good', async () => ({ Authorization: `Bearer ${jwt({ sub: 'f', iat: nowS(), exp: nowS() + 3600, cnf: { 'x5t#S256': pki.clients.good.x5t } })}` })],
      ['/api/no-exp', 'good', async () => ({ Authorization: `Bearer ${rawJwt({ sub: 'g', cnf: { 'x5t#S256': pki.clients.good.x5t } })}` })],
      ['/api/no-iat-long-left', 'good', async () => ({ Authorization: `Bearer ${rawJwt({ sub: 'h', exp: nowS() + 86400, cnf: { 'x5t#S256': pki.clients.good.x5t } })}` })],
      ['/health', null, async () => ({})],
    ];
    for (const [path, cert, headers] of cases) got.set(path, (await gw.request(path, cert, await headers())).status);
    log = await gw.stop();
  }, 60_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  it('passes either kind of bound token with its proof; refuses bearer, both-cnf, over-TTL and exp-less tokens; leaves paths outside the prefix alone', () => {
    expect(Object.fromEntries(got)).toEqual({
      '/api/mtls': 200, '/api/dpop': 200, '/api/bearer': 401, '/api/both-cnf': 401, '/api/ttl-2h': 401, '/api/ttl-1h': 200, '/api/no-exp': 401, '/api/no-iat-long-left': 401,
      // Outside the scope: no check, no enforcement field (the location is the user's own).
      '/health': 404,
    });
    const reasons = Object.fromEntries(logLines(log).map((l) => [l.uri, l.enforcement_reason]));
    expect(reasons).toMatchObject({ '/api/bearer': 'binding_required', '/api/both-cnf': 'cnf_anomaly', '/api/ttl-2h': 'ttl_over_policy', '/api/no-exp': 'ttl_unknown', '/api/no-iat-long-left': 'ttl_over_policy', '/health': '' });
  });
});

// The configuration text is what users paste: it must be exactly what the test ran.
describe('the files the gateway ran are the generated ones', () => {
  it('imports the recommended module verbatim beside the enforcement module', async () => {
    const { nginxEnforcementConfig } = await import('./nginx-enforcement-config.ts');
    const c = nginxEnforcementConfig({ require: 'mtls', upstream: 'http://10.0.0.5:8080', logPath: '/var/log/nginx/holdfast.json' });
    const { NGINX_NJS_MODULE } = await import('../ingest/gateway-configs.ts');
    expect(c.files.map((f) => f.path)).toEqual(['/etc/nginx/njs/holdfast.js', '/etc/nginx/njs/holdfast_enforce.js']);
    expect(c.files[0]!.content).toBe(NGINX_NJS_MODULE);
    expect(readFileSync(new URL('./nginx-njs-module.ts', import.meta.url), 'utf8')).toContain("import holdfast from 'holdfast.js';");
  });
});
