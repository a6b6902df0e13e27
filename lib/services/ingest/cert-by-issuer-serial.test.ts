// Apache's error log names a refused client certificate by subject, issuer and serial only (mod_ssl
// AH02276), never by thumbprint: the batch writer looked certificates up by x5t#S256 or SHA-1 alone,
// so such a line never joined the certificate Holdfast knew from an access log and was put on a new
// identity made from the subject DN. It now joins by issuer and serial (issuer RDNs in any order,
// serial in any hex spelling) and is kept with that certificate's x5t#S256 and identity. On both
// runtimes, through ingestStream, with a certificate made by the real openssl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, type GatewayPki } from '../../testing/gateway-pki.ts';
import type { EventRow } from '../estate/lists.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', exp: 4_000_000_000, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

/** mod_ssl's line as the real apache2 wrote it (apache-error.test.ts), its client port standing for the case. */
const ah02276 = (port: number, issuer: string, serial: string) =>
  `[Fri Dec 04 10:22:0${port % 10}.700217 2026] [ssl:info] [pid 4326:tid 4334] [client 127.0.0.1:4909${port % 10}] AH02276: Certificate Verification: Error (23): certificate revoked [subject: CN=svc-b,O=Test / issuer: ${issuer} / serial: ${serial} / notbefore: Dec  4 10:21:25 2026 GMT / notafter: Dec  4 10:21:25 2027 GMT]`;

for (const runtime of RUNTIMES) {
  describe(`an Apache AH02276 line joins the certificate known by issuer and serial (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let pki: GatewayPki | undefined;
    let byIp = new Map<string, EventRow>();

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      pki = createGatewayPki('hv2-cert-join-');
      const revoked = pki.clients.revoked; // CN=svc-b, serial 1002 of CN=Test Client CA,O=Test: the line's certificate
      t = await openTestDatabase(runtime);
      // The certificate, before it was revoked, from NGINX's access log: the PEM alone (its issuer
      // and serial read from it), with a token bound to it whose client is svc-b-client.
      const token = jwt({ sub: 'svc-b-client', client_id: 'svc-b-client', cnf: { 'x5t#S256': revoked.x5t } });
      const access = JSON.stringify({
        time: '2026-12-04T10:00:00+00:00', request_id: 'ab'.repeat(16), remote_addr: '127.0.0.2', method: 'GET', scheme: 'https', host: 'api.test', uri: '/x',
        status: 200, ssl_client_verify: 'SUCCESS', ssl_client_escaped_cert: encodeURIComponent(revoked.pem), authz_scheme: 'Bearer', has_dpop: '0', http_authorization: `Bearer ${token}`,
      });
      const first = await ingestStream(t.db, [`${access}\n`], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
      expect(first, JSON.stringify(first.errors)).toMatchObject({ accepted: 1, rejected: 0 });
      const errorLog = [
        ah02276(1, 'O=Test,CN=Test Client CA', '1002'), // Apache's issuer order
        ah02276(2, 'CN=Test Client CA, O=Test', '01002'), // another order and spacing, a leading zero
        ah02276(3, 'O=Elsewhere,CN=Other CA', '1002'), // the same serial from another CA: another certificate
      ].join('\n');
      const second = await ingestStream(t.db, [`${errorLog}\n`], { format: 'apache-error', sourceName: 'apache', actor: 'test' });
      expect(second, JSON.stringify(second.errors)).toMatchObject({ accepted: 3, rejected: 0 });
      byIp = new Map((await allEvents(t.db)).filter((e) => e.source === 'apache').map((e) => [e.occurredAt.slice(0, 19), e]));
    }, 120_000);
    afterAll(async () => {
      await t?.drop();
      pki?.cleanup();
    });

    it.each([
      ['Apache\'s issuer order', '2026-12-04T10:22:01'],
      ['another issuer spelling and a serial with a leading zero', '2026-12-04T10:22:02'],
    ])('%s: kept with the certificate\'s x5t#S256 and its identity, not the subject DN', (_name, at) => {
      if (!t) return;
      const e = byIp.get(at);
      expect(e, `${at} stored`).toBeDefined();
      expect({ x5tS256: e!.x5tS256, identity: e!.identity, verdict: e!.verdict }).toEqual({ x5tS256: pki!.clients.revoked.x5t, identity: 'svc-b-client', verdict: 'cert_revoked' });
    });

    it('the same serial from another issuer joins nothing: the subject DN names the identity', () => {
      if (!t) return;
      const e = byIp.get('2026-12-04T10:22:03');
      expect({ x5tS256: e?.x5tS256, identity: e?.identity }).toEqual({ x5tS256: null, identity: 'svc-b' });
    });
  });
}
