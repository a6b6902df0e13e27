// A real NGINX (Debian package) verifies client certificates against the CRL Holdfast
// publishes: the CRL is fetched from Holdfast's own route handler (app/crl/[ca]/route.ts),
// written where `ssl_crl` reads it, and NGINX is reloaded. After revoking one certificate
// through Holdfast, that certificate is refused while another of the same CA still passes,
// and `openssl verify -crl_check` agrees. Skips without nginx unless CI=true.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GET as crlRoute } from '@/app/crl/[ca]/route.ts';
import { createPki, type OpensslPki } from '../binding/testing/openssl.ts';
import { registerDatabase } from '../server/database.ts';
import { registerSecretKey } from '../server/secret-key.ts';
import { findNginx, freePort } from '../testing/processes.ts';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { requestRevocation } from './request-revocation.ts';
import { runRevocationWorker } from './run-revocation-worker.ts';
import { makeCertificate, makeIdentity } from './testing/fixtures.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) console.warn('nginx-crl-real.test.ts: skipped — nginx is not installed (apt-get install -y nginx)');
const describeNginx = NGINX || IN_CI ? describe : describe.skip;
const key = randomBytes(32);

describeNginx('NGINX enforces the CRL Holdfast publishes', () => {
  let pki: OpensslPki;
  let ca: { cert: string; key: string };
  let t: TestDatabase;
  let nginx: ChildProcess | null = null;
  let port = 0;
  const certs: Record<'alice' | 'bob', { cert: string; key: string; id?: string }> = {} as never;
  const conf = () => join(pki.dir, 'nginx.conf');

  async function fetchCrl(ext: 'pem' | 'crl'): Promise<Response> {
    return crlRoute(new Request(`http://localhost/crl/edge-ca.${ext}`), { params: Promise.resolve({ ca: `edge-ca.${ext}` }) });
  }
  async function installCrl(): Promise<string> {
    const res = await fetchCrl('pem');
    expect(res.status).toBe(200);
    const pem = await res.text();
    writeFileSync(join(pki.dir, 'crl.pem'), pem);
    return pem;
  }
  function request(who: 'alice' | 'bob'): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port, path: `/${who}`, method: 'GET', rejectUnauthorized: false, cert: readFileSync(certs[who].cert), key: readFileSync(certs[who].key), agent: false },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });
  }
  async function waitForPort(ms: number): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const ok = await new Promise<boolean>((r) => {
        const s = net.connect(port, '127.0.0.1', () => (s.destroy(), r(true)));
        s.once('error', () => r(false));
      });
      if (ok) return;
      if (Date.now() > until) throw new Error(`nginx did not listen: ${readFileSync(join(pki.dir, 'error.log'), 'utf8').slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const verify = (who: 'alice' | 'bob') =>
    spawnSync('openssl', ['verify', '-crl_check', '-CAfile', ca.cert, '-CRLfile', join(pki.dir, 'crl.pem'), certs[who].cert], { encoding: 'utf8' });

  beforeAll(async () => {
    pki = createPki();
    ca = pki.makeCa('edge-ca');
    const server = pki.makeLeaf('nginx-server', ca);
    certs.alice = pki.makeLeaf('alice', ca);
    certs.bob = pki.makeLeaf('bob', ca);
    t = await openTestDatabase('pglite');
    registerDatabase(t.db);
    registerSecretKey(key);
    await createConnector(t.db, key, { name: 'edge-ca-crl', kind: 'crl', config: { caName: 'edge-ca', caCertPem: pki.read(ca.cert), nextUpdateSeconds: 3600 }, secrets: { caKeyPem: pki.read(ca.key) } }, 'test');
    const id = await makeIdentity(t.db);
    for (const who of ['alice', 'bob'] as const) certs[who].id = (await makeCertificate(t.db, id.id, pki.read(certs[who].cert), 'edge-ca')).id;
    await installCrl();

    port = await freePort();
    const asRoot = process.getuid?.() === 0;
    const d = pki.dir;
    writeFileSync(conf(), `${asRoot ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${d}/nginx.pid;
error_log ${d}/error.log info;
events { worker_connections 64; }
http {
  client_body_temp_path ${d}/tmp_body; proxy_temp_path ${d}/tmp_proxy; fastcgi_temp_path ${d}/tmp_fcgi;
  uwsgi_temp_path ${d}/tmp_uwsgi; scgi_temp_path ${d}/tmp_scgi;
  access_log off;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${server.cert};
    ssl_certificate_key ${server.key};
    ssl_client_certificate ${ca.cert};
    ssl_crl ${d}/crl.pem;
    ssl_verify_client on;
    ssl_session_cache off;
    ssl_session_tickets off;
    location / { return 200 "ok\\n"; }
  }
}
`);
    const check = spawnSync(NGINX!, ['-t', '-p', d, '-c', conf()], { encoding: 'utf8' });
    if (check.status !== 0) throw new Error(`nginx -t failed: ${check.stderr}`);
    nginx = spawn(NGINX!, ['-p', d, '-c', conf()], { stdio: ['ignore', 'ignore', 'pipe'] });
    await waitForPort(10_000);
  }, 60_000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      await new Promise<void>((r) => {
        nginx!.once('exit', () => r());
        nginx!.kill('SIGQUIT');
      });
    }
    registerDatabase(undefined);
    registerSecretKey(undefined);
    await t?.drop();
    pki?.cleanup();
  });

  it('before revocation both certificates pass NGINX and openssl verify -crl_check', async () => {
    expect(await request('alice')).toBe(200);
    expect(await request('bob')).toBe(200);
    expect(verify('alice').status).toBe(0);
    expect(verify('bob').status).toBe(0);
  });

  it('after revoking bob through Holdfast and reloading NGINX, bob is refused and alice passes; openssl agrees', async () => {
    const r = await requestRevocation(t.db, key, { certificateIds: [certs.bob.id!], reason: 'private key on a lost laptop', actor: 'user:op@example.com' });
    await runRevocationWorker(t.db, { connectors: dbConnectorResolver(t.db, key), key, workerId: 'nginx-test' });
    const rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id }, include: { legs: true } });
    expect(rev.state).toBe('confirmed');

    const pem = await installCrl();
    expect(pem.startsWith('-----BEGIN X509 CRL-----')).toBe(true);
    // The DER form at /crl/edge-ca.crl is the same CRL.
    const der = Buffer.from(await (await fetchCrl('crl')).arrayBuffer());
    writeFileSync(join(pki.dir, 'crl.der'), der);
    expect(pki.run(['crl', '-inform', 'DER', '-in', join(pki.dir, 'crl.der'), '-noout', '-fingerprint', '-sha256'])).toBe(
      pki.run(['crl', '-in', join(pki.dir, 'crl.pem'), '-noout', '-fingerprint', '-sha256']),
    );
    // nextUpdate honoured: thisUpdate + 3600 s.
    const text = pki.run(['crl', '-in', join(pki.dir, 'crl.pem'), '-noout', '-lastupdate', '-nextupdate']);
    const last = Date.parse(/lastUpdate=(.*)/.exec(text)![1]!);
    const next = Date.parse(/nextUpdate=(.*)/.exec(text)![1]!);
    expect(next - last).toBe(3600_000);

    execFileSync(NGINX!, ['-p', pki.dir, '-c', conf(), '-s', 'reload']);
    const until = Date.now() + 10_000;
    let bob = await request('bob');
    while (bob !== 400 && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 100));
      bob = await request('bob');
    }
    expect(bob).toBe(400); // ssl_verify_client on: "The SSL certificate error"
    expect(await request('alice')).toBe(200);

    const vb = verify('bob');
    expect(vb.status).not.toBe(0);
    expect(vb.stdout + vb.stderr).toMatch(/certificate revoked/);
    expect(verify('alice').status).toBe(0);
  });

  it('an unknown CA or a bad name is a 404 problem, not a 500', async () => {
    const res = await crlRoute(new Request('http://localhost/crl/nope.crl'), { params: Promise.resolve({ ca: 'nope.crl' }) });
    expect(res.status).toBe(404);
    const bad = await crlRoute(new Request('http://localhost/crl/x'), { params: Promise.resolve({ ca: '../etc.crl' }) });
    expect(bad.status).toBe(404);
  });
});
