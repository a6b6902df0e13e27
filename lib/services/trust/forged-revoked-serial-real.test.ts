// A CRL entry names a certificate by its issuer and serial, but only a certificate the issuer
// really signed is the one it revokes. An attacker's certificate that copies the anchor's subject
// DN as its issuer and a serial the anchor's CRL lists — signed with the attacker's own key — is
// a forgery, not a revoked certificate: cert_untrusted / signature_not_by_anchor, never
// cert_revoked_unchecked (which would tell the analyst that a real, revoked client was let in).
// Real openssl CA + CRL (lib/testing/crl-pki.ts), a real Caddy `client_auth mode request` edge
// forwarding the certificate (Client-Cert, base64 DER) to a backend whose log is ingested; both
// database runtimes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyTestGlobals, findCaddy, startCaddy } from '../../testing/caddy.ts';
import { generateCrl, issueLeaf, makeCa, revokeLeaf, type TestLeaf } from '../../testing/crl-pki.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, type GatewayPki } from '../../testing/gateway-pki.ts';
import { freePort } from '../../testing/processes.ts';
import { ingestStream } from '../ingest/index.ts';
import { allEvents } from '../ingest/testing/stored-events.ts';
import { addTrustAnchor } from './store.ts';

const CADDY = findCaddy();
const IN_CI = process.env.CI === 'true';
if (!CADDY && !IN_CI) console.warn('forged-revoked-serial-real.test.ts: skipped — caddy is not installed; set CI=true to make this a failure');

const CLIENTS = ['good', 'revoked', 'forged'] as const;
type Client = (typeof CLIENTS)[number];

(CADDY || IN_CI ? describe : describe.skip)('a forged certificate copying a CRL-listed serial, through a Caddy `mode request` edge', () => {
  let pki: GatewayPki;
  let root = '';
  let caPem: Buffer;
  let crl: Buffer;
  let backendLog = '';
  const leaves = {} as Record<Client, TestLeaf>;

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed');
    pki = createGatewayPki('holdfast-forged-serial-');
    mkdirSync(join(pki.dir, 'logs'));
    root = mkdtempSync(join(tmpdir(), 'holdfast-forged-serial-ca-'));
    const ca = makeCa(root, 'ca', { subj: '/CN=Forged Serial CA/O=Test', firstSerial: '5A00' });
    leaves.revoked = issueLeaf(ca, 'revoked', '/O=Test/CN=svc-revoked');
    leaves.good = issueLeaf(ca, 'good', '/O=Test/CN=svc-good');
    revokeLeaf(ca, leaves.revoked, 'keyCompromise');
    crl = readFileSync(generateCrl(ca, 'crl'));
    caPem = readFileSync(ca.certPath);
    // The attacker's CA: the same subject DN, its own key, and its first serial the revoked one.
    const attacker = makeCa(root, 'attacker', { subj: '/CN=Forged Serial CA/O=Test', firstSerial: leaves.revoked.serialHex });
    leaves.forged = issueLeaf(attacker, 'forged', '/O=Test/CN=svc-forged');
    expect(leaves.forged.issuer).toBe(leaves.revoked.issuer);
    expect(leaves.forged.serialHex).toBe(leaves.revoked.serialHex);

    const [edge, backend] = [await freePort(), await freePort()];
    const caddyfile = `${caddyTestGlobals(pki.dir)}https://api.test:${edge} {
  tls ${pki.serverCertPath} ${pki.serverKeyPath} {
    client_auth {
      mode request
    }
  }
  reverse_proxy 127.0.0.1:${backend} {
    header_up Client-Cert {http.request.tls.client.certificate_der_base64}
  }
}
http://:${backend} {
  log {
    output file ${pki.dir}/logs/backend.json
    format json
  }
  respond "ok"
}
`;
    const caddy = await startCaddy(CADDY, pki.dir, caddyfile, [edge, backend]);
    try {
      for (const c of CLIENTS) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = https.request({
            host: '127.0.0.1', port: edge, path: `/case/${c}`, servername: 'api.test', ca: readFileSync(pki.caPath), agent: false,
            cert: readFileSync(leaves[c].certPath), key: readFileSync(leaves[c].keyPath), headers: { host: `api.test:${edge}` },
          }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end();
        });
        expect(status, c).toBe(200);
      }
    } finally {
      await caddy.stop();
    }
    backendLog = readFileSync(join(pki.dir, 'logs', 'backend.json'), 'utf8');
  }, 90_000);
  afterAll(() => {
    pki?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const runtime of RUNTIMES) {
    describe(runtime, () => {
      let t: TestDatabase | undefined;
      const verdicts = new Map<string, string>();

      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) {
          if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
          return;
        }
        t = await openTestDatabase(runtime);
        await addTrustAnchor(t.db, { ca: caPem, crl, actor: 'test' });
        const r = await ingestStream(t.db, [backendLog], { format: 'caddy', sourceName: 'backend', actor: 'test' });
        expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 3, rejected: 0 });
        for (const e of await allEvents(t.db)) verdicts.set(/\/case\/(\w+)/.exec(e.route ?? '')?.[1] ?? '?', `${e.verdict}/${e.reason}`);
      }, 120_000);
      afterAll(async () => t?.drop());

      it('the revoked certificate is cert_revoked_unchecked; the forgery with its serial is signature_not_by_anchor, not revoked', () => {
        if (!t) return;
        expect(Object.fromEntries(verdicts)).toEqual({
          good: 'ok/binding_unknown',
          revoked: 'cert_revoked_unchecked/crl:keyCompromise',
          forged: 'cert_untrusted/signature_not_by_anchor',
        });
      });
    });
  }
});
