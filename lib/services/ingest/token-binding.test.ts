// Issue #16: a token first seen in a gateway log was stored with a binding of the pipeline's own
// making — a JWT without `cnf` sent with the `DPoP` scheme became a DPoP-bound token, a `cnf` with
// both jkt and x5t#S256 became DPoP-bound too — while the binding engine rightly called both
// bearer, inflating the "sender-constrained" count. The stored token now takes bindingOfClaims'
// answer, the one the request's verdict is decided with; a certificate failure decides the
// request's verdict but never the token's binding. On both runtimes, through ingestStream.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintToken } from '../../binding/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', exp: 4_000_000_000, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
const proof = `${b64({ typ: 'dpop+jwt', alg: 'ES256' })}.${b64({ jti: 'p', htm: 'GET', htu: 'https://api.test/x', iat: 1 })}.c2ln`;

interface Case {
  name: string;
  token: string;
  scheme: 'Bearer' | 'DPoP';
  verify: string;
  status: number;
  /** What the Token row must say. */
  binding: 'bearer' | 'dpop' | 'mtls';
  anomaly: boolean;
  /** The request's verdict. */
  verdict: string;
}

const CASES: Case[] = [
  { name: 'dpop-scheme-no-cnf', token: jwt({ sub: 'svc-plain', client_id: 'svc-plain', jti: randomUUID() }), scheme: 'DPoP', verify: 'NONE', status: 200, binding: 'bearer', anomaly: false, verdict: 'bearer_unbound' },
  { name: 'cnf-both', token: jwt({ sub: 'svc-both', client_id: 'svc-both', jti: randomUUID(), cnf: { jkt: JKT, 'x5t#S256': X5T } }), scheme: 'DPoP', verify: 'NONE', status: 200, binding: 'bearer', anomaly: true, verdict: 'bearer_unbound' },
  { name: 'cnf-jkt', token: jwt({ sub: 'svc-dpop', client_id: 'svc-dpop', jti: randomUUID(), cnf: { jkt: JKT } }), scheme: 'DPoP', verify: 'NONE', status: 401, binding: 'dpop', anomaly: false, verdict: 'proof_invalid' },
  { name: 'cnf-x5t', token: jwt({ sub: 'svc-mtls', client_id: 'svc-mtls', jti: randomUUID(), cnf: { 'x5t#S256': X5T } }), scheme: 'Bearer', verify: 'NONE', status: 401, binding: 'mtls', anomaly: false, verdict: 'no_proof_for_bound_token' },
  // The certificate failed at the gateway: the request's verdict is the certificate's, the token stays DPoP-bound.
  { name: 'cnf-jkt-revoked-cert', token: jwt({ sub: 'svc-dpop2', client_id: 'svc-dpop2', jti: randomUUID(), cnf: { jkt: JKT } }), scheme: 'DPoP', verify: 'FAILED:certificate revoked', status: 400, binding: 'dpop', anomaly: false, verdict: 'cert_revoked' },
  { name: 'bearer-expired-cert', token: jwt({ sub: 'svc-plain2', client_id: 'svc-plain2', jti: randomUUID() }), scheme: 'Bearer', verify: 'FAILED:certificate has expired', status: 400, binding: 'bearer', anomaly: false, verdict: 'cert_expired' },
];

const requestIdOf = (i: number) => `${String(i + 1).padStart(4, '0')}${'ab'.repeat(14)}`;

function nginxLine(c: Case, i: number): string {
  return JSON.stringify({
    time: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: requestIdOf(i), remote_addr: '127.0.0.1', method: 'GET',
    scheme: 'https', host: 'api.test', uri: `/case/${c.name}`, status: c.status, ssl_client_verify: c.verify,
    ssl_client_s_dn: c.verify === 'NONE' ? '' : 'CN=svc-cert,O=Test', ssl_client_i_dn: c.verify === 'NONE' ? '' : 'CN=Test Client CA,O=Test',
    ssl_client_serial: c.verify === 'NONE' ? '' : '1002', ssl_client_fingerprint: c.verify === 'NONE' ? '' : 'f498c605fa3752617c698821c4b64c9fd589fd05',
    authz_scheme: c.scheme, has_dpop: c.scheme === 'DPoP' ? '1' : '0', http_dpop: c.scheme === 'DPoP' ? proof : '', http_authorization: `${c.scheme} ${c.token}`,
  });
}

for (const runtime of RUNTIMES) {
  describe(`a token first seen in a gateway log is stored with the binding its claims give (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let tokens = new Map<string, { binding: string; bindingAnomaly: boolean }>();
    let events = new Map<string, { verdict: string; reason: string | null; tokenFingerprint: string | null }>();

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      const log = CASES.map(nginxLine).join('\n') + '\n';
      const r = await ingestStream(t.db, [log], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
      expect(r, JSON.stringify(r.errors)).toMatchObject({ linesRead: CASES.length, accepted: CASES.length, rejected: 0 });
      const rows = await t.db.query<{ fingerprint: string; binding: string; bindingAnomaly: boolean }>(`SELECT fingerprint, binding::text AS binding, "bindingAnomaly" FROM "Token"`);
      tokens = new Map(rows.map((x) => [x.fingerprint, x]));
      events = new Map((await allEvents(t.db)).map((e) => [e.requestId ?? '', e]));
    }, 120_000);
    afterAll(async () => t?.drop());

    it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
      if (!t) return;
      const fp = fingerprintToken(c.token);
      expect(tokens.get(fp), `${c.name}: token stored`).toEqual({ fingerprint: fp, binding: c.binding, bindingAnomaly: c.anomaly });
      const e = events.get(requestIdOf(i));
      expect(e, `${c.name}: request stored`).toBeDefined();
      expect({ verdict: e!.verdict, token: e!.tokenFingerprint }).toEqual({ verdict: c.verdict, token: fp });
    });

    it('flags the cnf with both members on the request as well (reason cnf_anomaly)', () => {
      if (!t) return;
      expect(events.get(requestIdOf(CASES.findIndex((c) => c.name === 'cnf-both')))?.reason).toBe('cnf_anomaly');
    });

    it('counts no token as DPoP-bound that its issuer did not bind', () => {
      if (!t) return;
      const dpop = [...tokens.values()].filter((x) => x.binding === 'dpop').length;
      expect(dpop).toBe(CASES.filter((c) => c.binding === 'dpop').length);
    });
  });
}
