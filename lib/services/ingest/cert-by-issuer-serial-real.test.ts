// The real Apache httpd (Debian's apache2 2.4, mod_ssl, `LogLevel warn ssl:info`) refuses a revoked
// and an untrusted client certificate in the handshake; its error log's AH02276 lines, ingested
// after an access log that showed the revoked certificate (before its revocation) with a token
// bound to it, join that certificate by issuer and serial: its x5t#S256 and its identity. The
// untrusted one (another CA) joins nothing. On both runtimes. Skips when apache2 is not installed,
// unless CI=true (then it must run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApache, startApache, type ApacheProcess } from '../../testing/apache-launch.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import type { EventRow } from '../estate/lists.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const APACHE = findApache();
const IN_CI = process.env.CI === 'true';
if (!APACHE && !IN_CI) console.warn('cert-by-issuer-serial-real.test.ts: skipped — apache2 is not installed; set CI=true to make this a failure');
const describeApache = APACHE || IN_CI ? describe : describe.skip;
const PORT = 19611;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', exp: 4_000_000_000, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

describeApache('a real Apache error log joins the certificate known by issuer and serial', () => {
  let pki: GatewayPki;
  let apache: ApacheProcess | null = null;
  let stored = new Map<string, EventRow[] | null>();

  beforeAll(async () => {
    if (!APACHE) throw new Error('CI=true but apache2 is not installed: apt-get install -y apache2');
    pki = createGatewayPki('hv2-apache-join-');
    apache = await startApache(APACHE, pki.dir, `<VirtualHost 127.0.0.1:${PORT}>
  SSLEngine on
  SSLCertificateFile ${pki.serverCertPath}
  SSLCertificateKeyFile ${pki.serverKeyPath}
  SSLCACertificateFile ${pki.caPath}
  SSLCARevocationFile ${pki.crlPath}
  SSLCARevocationCheck chain
  SSLVerifyClient optional
  SSLVerifyDepth 2
  ErrorLog ${pki.dir}/error.log
  LogLevel warn ssl:info
</VirtualHost>`, [PORT]);
    for (const client of ['revoked', 'untrusted'] as const) {
      await expect(tlsRequest(pki, { port: PORT, path: '/', client }), `${client}: refused in the handshake`).rejects.toThrow();
    }
    await apache.stop();
    apache = null;
    const errorLog = readFileSync(join(pki.dir, 'error.log'), 'utf8');
    expect(errorLog).toContain('AH02276');

    const revoked = pki.clients.revoked;
    const token = jwt({ sub: 'svc-b-client', client_id: 'svc-b-client', cnf: { 'x5t#S256': revoked.x5t } });
    const access = JSON.stringify({
      time: new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: 'cd'.repeat(16), remote_addr: '127.0.0.2', method: 'GET', scheme: 'https', host: 'api.test', uri: '/x',
      status: 200, ssl_client_verify: 'SUCCESS', ssl_client_s_dn: revoked.subject, ssl_client_i_dn: 'CN=Test Client CA,O=Test', ssl_client_serial: revoked.serialHex,
      ssl_client_escaped_cert: encodeURIComponent(revoked.pem), authz_scheme: 'Bearer', has_dpop: '0', http_authorization: `Bearer ${token}`,
    });
    stored = await onEachRuntime(async (t) => {
      const a = await ingestStream(t.db, [`${access}\n`], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
      expect(a, JSON.stringify(a.errors)).toMatchObject({ accepted: 1, rejected: 0 });
      const e = await ingestStream(t.db, [errorLog], { format: 'apache-error', sourceName: 'apache', actor: 'test' });
      expect(e, JSON.stringify(e.errors)).toMatchObject({ accepted: 2, rejected: 0 });
      return (await allEvents(t.db)).filter((x) => x.source === 'apache');
    });
  }, 120_000);

  afterAll(async () => {
    await apache?.stop();
    pki?.cleanup();
  });

  it.each(RUNTIMES)('%s: the revoked certificate\'s line carries its x5t#S256 and identity; the untrusted one\'s the subject DN', (runtime) => {
    const events = stored.get(runtime);
    if (!events) return;
    const byVerdict = new Map(events.map((e) => [e.verdict, e]));
    expect(byVerdict.get('cert_revoked')).toMatchObject({ x5tS256: pki.clients.revoked.x5t, identity: 'svc-b-client' });
    expect(byVerdict.get('cert_untrusted')).toMatchObject({ x5tS256: null, identity: pki.clients.untrusted.cn });
  });
});
