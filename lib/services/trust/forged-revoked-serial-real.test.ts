// A CRL entry names a certificate by its issuer and serial, but only a certificate the issuer
// really signed is the one it revokes. An attacker's certificate that copies the anchor's subject
// DN as its issuer and a serial the anchor's CRL lists — signed with the attacker's own key — is
// a forgery, not a revoked certificate: cert_untrusted / signature_not_by_anchor, never
// cert_revoked_unchecked (which would tell the analyst that a real, revoked client was let in).
// Real openssl CA + CRL (lib/testing/crl-pki.ts), through two real gateways that verify nothing:
// a Caddy `client_auth mode request` edge forwarding the certificate (Client-Cert, base64 DER) to
// a backend whose log is ingested, and an NGINX `ssl_verify_client optional_no_ca` edge logging
// `$ssl_client_escaped_cert` in its owner's format — there the stored certificate's status must
// not read revoked either. Both database runtimes.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyUnverifiedEdge, findCaddy, startCaddy } from '../../testing/caddy.ts';
import { generateCrl, issueLeaf, makeCa, revokeLeaf, type TestLeaf } from '../../testing/crl-pki.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import { ingestStream } from '../ingest/index.ts';
import { allEvents } from '../ingest/testing/stored-events.ts';
import { addTrustAnchor } from './store.ts';

const CADDY = findCaddy();
const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!(CADDY && NGINX) && !IN_CI) console.warn('forged-revoked-serial-real.test.ts: skipped — caddy and nginx are needed; set CI=true to make this a failure');

const CLIENTS = ['good', 'revoked', 'forged'] as const;
type Client = (typeof CLIENTS)[number];

((CADDY && NGINX) || IN_CI ? describe : describe.skip)('a forged certificate copying a CRL-listed serial, through edges that verify no client certificate', () => {
  let pki: GatewayPki;
  let root = '';
  let caPem: Buffer;
  let crl: Buffer;
  let backendLog = '';
  let nginxLog = '';
  let nginxConfig = '';
  const leaves = {} as Record<Client, TestLeaf>;

  beforeAll(async () => {
    if (!CADDY || !NGINX) throw new Error('CI=true but caddy or nginx is not installed');
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

    const [edge, backend, nginxEdge] = [await freePort(), await freePort(), await freePort()];
    const caddyfile = caddyUnverifiedEdge(pki.dir, { certPath: pki.serverCertPath, keyPath: pki.serverKeyPath }, { edge, backend });
    const caddy = await startCaddy(CADDY, pki.dir, caddyfile, [edge, backend]);
    // The owner's own format: the certificate as escaped PEM, no verification result of its own.
    mkdirSync(join(pki.dir, 'nginx'));
    const nginx = await startNginx(NGINX!, join(pki.dir, 'nginx'), 'edge', `log_format edge '$time_iso8601 $remote_addr "$request" $status "$http_authorization" "$ssl_client_escaped_cert"';
  server {
    listen 127.0.0.1:${nginxEdge} ssl;
    ssl_certificate ${pki.serverCertPath};
    ssl_certificate_key ${pki.serverKeyPath};
    ssl_verify_client optional_no_ca;
    access_log ${pki.dir}/logs/nginx.log edge;
    location / { return 200 "ok\\n"; }
  }`, [nginxEdge]);
    try {
      for (const [c, port] of CLIENTS.flatMap((c) => [[c, edge], [c, nginxEdge]] as const)) {
        const { status } = await tlsRequest(pki, { port, path: `/case/${c}`, client: leaves[c] });
        expect(status, c).toBe(200);
      }
    } finally {
      await Promise.all([caddy.stop(), nginx.stop()]);
    }
    backendLog = readFileSync(join(pki.dir, 'logs', 'backend.json'), 'utf8');
    nginxLog = readFileSync(join(pki.dir, 'logs', 'nginx.log'), 'utf8');
    nginxConfig = readFileSync(join(pki.dir, 'nginx', 'edge.conf'), 'utf8');
  }, 90_000);
  afterAll(() => {
    pki?.cleanup();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  for (const runtime of RUNTIMES) {
    describe(runtime, () => {
      let t: TestDatabase | undefined;
      const verdicts = new Map<string, string>();
      const statuses = new Map<string, string>();

      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) {
          if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
          return;
        }
        t = await openTestDatabase(runtime);
        await addTrustAnchor(t.db, { ca: caPem, crl, actor: 'test' });
        const r = await ingestStream(t.db, [backendLog], { format: 'caddy', sourceName: 'backend', actor: 'test' });
        expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 3, rejected: 0 });
        const n = await ingestStream(t.db, [nginxLog], { format: 'nginx', gatewayConfig: nginxConfig, sourceName: 'nginx-edge', actor: 'test' });
        expect(n, JSON.stringify(n.errors)).toMatchObject({ accepted: 3, rejected: 0 });
        for (const e of await allEvents(t.db)) verdicts.set(`${e.source}:${/\/case\/(\w+)/.exec(e.route ?? '')?.[1] ?? '?'}`, `${e.verdict}/${e.reason}`);
        const x5t = (c: Client) => createHash('sha256').update(new X509Certificate(readFileSync(leaves[c].certPath)).raw).digest('base64url');
        for (const c of CLIENTS) {
          const rows = await t.db.query<{ status: string }>(`SELECT status FROM "Certificate" WHERE "x5tS256" = $1`, [x5t(c)]);
          statuses.set(c, rows[0]?.status ?? 'not stored');
        }
      }, 120_000);
      afterAll(async () => t?.drop());

      it('the revoked certificate is cert_revoked_unchecked; the forgery with its serial is signature_not_by_anchor, not revoked', () => {
        if (!t) return;
        expect(Object.fromEntries(verdicts)).toEqual({
          'backend:good': 'ok/binding_unknown',
          'backend:revoked': 'cert_revoked_unchecked/crl:keyCompromise',
          'backend:forged': 'cert_untrusted/signature_not_by_anchor',
          'nginx-edge:good': 'ok/binding_unknown',
          'nginx-edge:revoked': 'cert_revoked_unchecked/crl:keyCompromise',
          'nginx-edge:forged': 'cert_untrusted/signature_not_by_anchor',
        });
      });

      it('the stored certificates: the revoked one is revoked, the forgery copying its serial is not', () => {
        if (!t) return;
        expect(statuses.get('revoked')).toBe('revoked');
        expect(statuses.get('forged')).not.toBe('revoked');
      });
    });
  }
});
