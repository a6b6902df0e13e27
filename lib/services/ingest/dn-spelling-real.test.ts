// One client certificate whose subject and issuer are not ASCII (`CN=Zoë Müller,O=Société,C=FR`,
// issued by `CN=Autorité Zoë CA,O=Société Test,C=FR`, made by the real openssl with -utf8), presented
// to the real NGINX, HAProxy, Apache and Caddy, each logging its DN variables the way it spells
// them: NGINX `$ssl_client_s_dn` (RFC 2253, UTF-8 escaped `\C3\AB`, then NGINX's own `\x` escaping
// of the backslashes), HAProxy `ssl_c_s_dn` (the legacy `/C=FR/O=…/CN=…` form), Apache's
// recommended format (`SSL_CLIENT_S_DN` and the certificate itself) and Caddy's JSON log (the CN
// alone). Ingested one after another, the four logs are one certificate and one identity: the
// NGINX and HAProxy lines (DN and serial, no thumbprint) join the certificate Apache logged by
// issuer and serial, and Caddy's CN names the same identity. On both runtimes. Skips a gateway
// that is not installed, unless CI=true (then it must run).
import { execFileSync, execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApache, startRecommendedApache } from '../../testing/apache-launch.ts';
import { caddyTestGlobals, findCaddy, startCaddy } from '../../testing/caddy.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import type { EventRow } from '../estate/lists.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const IN_CI = process.env.CI === 'true';
const BINS = { nginx: findNginx(), haproxy: findHaproxy(), apache: findApache(), caddy: findCaddy() };
const ALL = Object.values(BINS).every(Boolean);
if (!ALL && !IN_CI) console.warn('dn-spelling-real.test.ts: skipped — nginx, haproxy, apache2 and caddy are all needed; set CI=true to make this a failure');
const describeAll = ALL || IN_CI ? describe : describe.skip;

interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  x5t: string;
}

/** A CA, a server certificate for 127.0.0.1 and the client certificate, all with the real openssl (-utf8). */
function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-dn-spelling-'));
  const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ossl('req', '-x509', '-utf8', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/C=FR/O=Société Test/CN=Autorité Zoë CA');
  ossl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:api.test\nextendedKeyUsage=serverAuth\n');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '30', '-extfile', 'server.ext');
  ossl('req', '-utf8', ...ec, '-keyout', 'zoe.key', '-out', 'zoe.csr', '-subj', '/C=FR/O=Société/CN=Zoë Müller');
  writeFileSync(join(dir, 'zoe.ext'), 'extendedKeyUsage=clientAuth\n');
  ossl('x509', '-req', '-in', 'zoe.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', '0x5A0E', '-out', 'zoe.crt', '-days', '30', '-extfile', 'zoe.ext');
  const x5t = execSync(`openssl x509 -in '${join(dir, 'zoe.crt')}' -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`, { encoding: 'utf8' }).trim();
  return { dir, ca: join(dir, 'ca.crt'), serverCert: join(dir, 'server.crt'), serverKey: join(dir, 'server.key'), clientCert: join(dir, 'zoe.crt'), clientKey: join(dir, 'zoe.key'), x5t };
}

/** One HTTPS request with the client certificate, a fresh TLS session each time. */
function request(pki: Pki, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, path, servername: 'api.test', ca: readFileSync(pki.ca), cert: readFileSync(pki.clientCert), key: readFileSync(pki.clientKey), agent: false, headers: { host: `api.test:${port}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describeAll('one certificate with a non-ASCII subject, four gateways\' spellings: one certificate, one identity', () => {
  let pki: Pki;
  const logs: Record<'nginx' | 'haproxy' | 'apache' | 'caddy', string> = { nginx: '', haproxy: '', apache: '', caddy: '' };
  const configs: Record<'nginx' | 'haproxy' | 'apache', string> = { nginx: '', haproxy: '', apache: '' };
  let stored = new Map<string, { events: EventRow[]; certificates: number; identities: string[] } | null>();
  let legacy = new Map<string, { events: EventRow[]; identities: string[] } | null>();

  beforeAll(async () => {
    if (!ALL) throw new Error(`CI=true but a gateway is not installed: ${JSON.stringify(BINS)}`);
    pki = makePki();
    const [nginxPort, haproxyPort, apachePort, caddyPort] = [await freePort(), await freePort(), await freePort(), await freePort()];

    const nginx = await startNginx(BINS.nginx!, pki.dir, 'nginx', `
  log_format dn '$remote_addr [$time_local] "$request" $status "$ssl_client_verify" "$ssl_client_s_dn" "$ssl_client_i_dn" $ssl_client_serial $request_id';
  server {
    listen 127.0.0.1:${nginxPort} ssl;
    ssl_certificate ${pki.serverCert};
    ssl_certificate_key ${pki.serverKey};
    ssl_client_certificate ${pki.ca};
    ssl_verify_client on;
    access_log ${pki.dir}/nginx.log dn;
    location / { return 200 "ok\\n"; }
  }`, [nginxPort]);
    expect(await request(pki, nginxPort, '/nginx')).toBe(200);
    await nginx.stop();
    logs.nginx = readFileSync(join(pki.dir, 'nginx.log'), 'utf8');
    configs.nginx = readFileSync(join(pki.dir, 'nginx.conf'), 'utf8');

    const pem = join(pki.dir, 'server-haproxy.pem');
    writeFileSync(pem, readFileSync(pki.serverCert, 'utf8') + readFileSync(pki.serverKey, 'utf8'));
    configs.haproxy = `${HAPROXY_TEST_HEAD}frontend dn_edge
  mode http
  bind 127.0.0.1:${haproxyPort} ssl crt ${pem} ca-file ${pki.ca} verify required
  log stdout len 16384 format raw local0
  log-format "%ci [%tr] %ID %HM %HU %HV %ST ssl_c_used=%[ssl_c_used] ssl_c_verify=%[ssl_c_verify] ssl_c_s_dn=%{+Q}[ssl_c_s_dn] ssl_c_i_dn=%{+Q}[ssl_c_i_dn] ssl_c_serial=%[ssl_c_serial,hex]"
  http-request return status 200 content-type text/plain string ok
`;
    const haproxy = await startHaproxy(BINS.haproxy!, pki.dir, 'haproxy', configs.haproxy, [haproxyPort]);
    expect(await request(pki, haproxyPort, '/haproxy')).toBe(200);
    await haproxy.stop();
    logs.haproxy = readFileSync(haproxy.logFile, 'utf8');

    const apache = await startRecommendedApache(BINS.apache!, { dir: pki.dir, port: apachePort, cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, logFile: join(pki.dir, 'apache.log'), verify: 'require' });
    expect(await request(pki, apachePort, '/index.html')).toBe(200);
    await apache.stop();
    logs.apache = readFileSync(join(pki.dir, 'apache.log'), 'utf8');
    configs.apache = readFileSync(join(pki.dir, 'httpd.conf'), 'utf8');

    const caddy = await startCaddy(BINS.caddy!, pki.dir, `${caddyTestGlobals(pki.dir)}https://api.test:${caddyPort} {
  tls ${pki.serverCert} ${pki.serverKey} {
    client_auth {
      mode require_and_verify
      trusted_ca_cert_file ${pki.ca}
    }
  }
  log {
    output file ${pki.dir}/caddy.json
    format json
  }
  respond "ok"
}
`, [caddyPort]);
    expect(await request(pki, caddyPort, '/caddy')).toBe(200);
    await caddy.stop();
    logs.caddy = readFileSync(join(pki.dir, 'caddy.json'), 'utf8');

    stored = await onEachRuntime(async (t) => {
      const ingest = async (text: string, format: string, source: string, gateway?: { gatewayConfig: string; logFormat?: string }) => {
        const s = await ingestStream(t.db, [text], { format, sourceName: source, actor: 'test', ...gateway });
        expect(s, `${source}: ${JSON.stringify(s.errors)}`).toMatchObject({ accepted: 1, rejected: 0 });
      };
      await ingest(logs.apache, 'apache', 'apache', { gatewayConfig: configs.apache, logFormat: 'holdfast' });
      await ingest(logs.nginx, 'nginx', 'nginx', { gatewayConfig: configs.nginx, logFormat: 'dn' });
      await ingest(logs.haproxy, 'haproxy', 'haproxy', { gatewayConfig: configs.haproxy, logFormat: 'dn_edge' });
      await ingest(logs.caddy, 'caddy', 'caddy');
      const certificates = (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Certificate"`))[0]!.n;
      const identities = (await t.db.query<{ name: string }>(`SELECT name FROM "Identity" ORDER BY name`)).map((r) => r.name);
      return { events: await allEvents(t.db), certificates, identities };
    });
    // A database from before DNs were decoded: NGINX's line had named the identity `ZoC3AB MC3BCller`.
    legacy = await onEachRuntime(async (t) => {
      await t.db.query(`INSERT INTO "Identity" (name, kind) VALUES ('ZoC3AB MC3BCller', 'service')`);
      const s = await ingestStream(t.db, [logs.nginx], { format: 'nginx', sourceName: 'nginx', actor: 'test', gatewayConfig: configs.nginx, logFormat: 'dn' });
      expect(s.rejected).toBe(0);
      return { events: await allEvents(t.db), identities: (await t.db.query<{ name: string }>(`SELECT name FROM "Identity"`)).map((r) => r.name) };
    });
  }, 180_000);

  afterAll(() => rmSync(pki?.dir ?? '/nonexistent', { recursive: true, force: true }));

  it('each gateway spells the DN its own way (the fixture is what the test says it is)', () => {
    expect(logs.nginx).toContain('Zo\\x5CC3\\x5CAB');
    expect(logs.apache).toMatch(/Zo(ë|\\xc3\\xab) M/i);
    expect(logs.caddy).toContain('Zoë Müller');
  });

  it.each(RUNTIMES)('%s: one certificate, one identity, every line joined to the certificate that names it', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.certificates).toBe(1);
    expect(s.identities).toEqual(['Zoë Müller']);
    const bySource = new Map(s.events.map((e) => [e.source, e]));
    expect([...bySource.keys()].sort()).toEqual(['apache', 'caddy', 'haproxy', 'nginx']);
    for (const src of ['apache', 'nginx', 'haproxy'] as const) expect(bySource.get(src), src).toMatchObject({ x5tS256: pki.x5t, identity: 'Zoë Müller' });
    expect(bySource.get('caddy')).toMatchObject({ identity: 'Zoë Müller' });
  });

  it.each(RUNTIMES)('%s: an identity stored under the name an escaped CN had before keeps that certificate\'s requests', (runtime) => {
    const s = legacy.get(runtime);
    if (!s) return;
    expect(s.identities).toEqual(['ZoC3AB MC3BCller']);
    expect(s.events.map((e) => e.identity)).toEqual(['ZoC3AB MC3BCller']);
  });
});
