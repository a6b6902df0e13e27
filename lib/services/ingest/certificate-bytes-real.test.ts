// A client certificate's own bytes, kept once per certificate when a gateway line carries it whole
// (the real NGINX, `$ssl_client_escaped_cert`): the certificate page and API give it as PEM, the
// PEM OpenSSL made. A certificate stored earlier without them (an older Holdfast, or a log that
// gave only its x5t#S256) gets them from the first line that carries them. One no trusted CA issued
// (NGINX refused it) is recorded without them. On both runtimes. Skips when nginx is not
// installed, unless CI=true (then it must run).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pemToDer } from '../../credentials/certificate.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, nginxMtlsListen, tlsRequest, type ClientName, type GatewayPki } from '../../testing/gateway-pki.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import { getCertificateDetail } from '../estate/certificate-detail.ts';
import { ingestStream } from './index.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) console.warn('certificate-bytes-real.test.ts: skipped — nginx is not installed; set CI=true to make this a failure');
const describeNginx = NGINX || IN_CI ? describe : describe.skip;

const LOG_FORMAT = `
  log_format full escape=json '{"time":"$time_iso8601","request_id":"$request_id","method":"$request_method","uri":"$request_uri","status":$status,'
    '"ssl_client_verify":"$ssl_client_verify","ssl_client_s_dn":"$ssl_client_s_dn","ssl_client_escaped_cert":"$ssl_client_escaped_cert"}';
`;

interface Stored {
  good: { pem: string | null; x5tS256: string };
  other: { pem: string | null; x5tS256: string };
  /** Rows of the certificate table: x5t#S256 and whether its bytes are kept. */
  rows: Array<{ x5tS256: string; kept: boolean }>;
}

describeNginx('a client certificate\'s bytes, kept from the real NGINX\'s $ssl_client_escaped_cert', () => {
  let pki: GatewayPki;
  let log = '';
  let stored = new Map<string, Stored | null>();

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed: apt-get install -y nginx');
    pki = createGatewayPki('holdfast-cert-bytes-');
    const port = await freePort();
    const nginx = await startNginx(NGINX, pki.dir, 'gw', `${LOG_FORMAT}
  server {
${nginxMtlsListen(pki, port)}
    server_name api.test;
    access_log ${pki.dir}/full.log full;
    location / { return 200 "ok\\n"; }
  }`, [port]);
    try {
      for (const client of ['good', 'other', 'good'] as ClientName[]) {
        const r = await tlsRequest(pki, { port, path: `/${client}`, client });
        expect(r.status, client).toBe(200);
      }
      // A certificate no trusted CA issued: NGINX refuses it (400) and logs it whole.
      expect((await tlsRequest(pki, { port, path: '/untrusted', client: 'untrusted' })).status).toBe(400);
    } finally {
      await nginx.stop();
    }
    log = readFileSync(join(pki.dir, 'full.log'), 'utf8');
    stored = await onEachRuntime(async (t) => {
      // The other client's certificate, stored before without its bytes.
      await t.db.query(`INSERT INTO "Certificate" ("x5tS256", "subjectDn") VALUES ($1, 'CN=other')`, [pki.clients.other.x5t]);
      const s = await ingestStream(t.db, [log], { format: 'nginx-json', sourceName: 'nginx-mtls', actor: 'test' });
      expect(s, JSON.stringify(s.errors)).toMatchObject({ accepted: 4, rejected: 0 });
      const detail = async (x5t: string) => (await getCertificateDetail(t.db, x5t)).certificate;
      const rows = await t.db.query<{ x5tS256: string; kept: boolean }>(`SELECT "x5tS256", der IS NOT NULL AS kept FROM "Certificate" ORDER BY "x5tS256"`);
      return { good: await detail(pki.clients.good.x5t), other: await detail(pki.clients.other.x5t), rows };
    });
  }, 180_000);

  afterAll(() => pki?.cleanup());

  const x5tOf = (pem: string) => createHash('sha256').update(pemToDer(pem)!).digest('base64url');

  it('NGINX logged the whole certificate', () => {
    expect(log).toContain(encodeURIComponent(pki.clients.good.pem.trim()).slice(40, 120));
  });

  it.each(RUNTIMES)('%s: the certificate page gives the PEM OpenSSL made, whose SHA-256 is its x5t#S256', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.good.pem).not.toBeNull();
    expect(x5tOf(s.good.pem!)).toBe(pki.clients.good.x5t);
    expect(pemToDer(s.good.pem!)!.toString('base64')).toBe(pki.clients.good.derB64);
    expect(s.good.pem).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----\n$/);
  });

  it.each(RUNTIMES)('%s: a certificate stored earlier without its bytes gets them from a line that carries them', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.other.pem).not.toBeNull();
    expect(x5tOf(s.other.pem!)).toBe(pki.clients.other.x5t);
    expect(s.rows.filter((r) => r.x5tS256 !== pki.clients.untrusted.x5t)).toEqual([pki.clients.good.x5t, pki.clients.other.x5t].sort().map((x5tS256) => ({ x5tS256, kept: true })));
  });

  it.each(RUNTIMES)('%s: a certificate no trusted CA issued is recorded without its bytes (anyone can mint them; its line is kept whole)', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.rows.find((r) => r.x5tS256 === pki.clients.untrusted.x5t)).toEqual({ x5tS256: pki.clients.untrusted.x5t, kept: false });
  });
});
