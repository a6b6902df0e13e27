// `holdfast ingest LOG --format apache --gateway-config apache.conf` through the real binary, with
// a log the real Apache httpd (Debian's apache2, mod_ssl) wrote for real TLS clients in this test:
// locally the CONTRACT summary (plus the log format read), a configuration Holdfast cannot read
// or a bad --gateway-config is exit 2 with one line; with --server the configuration is saved on
// --source first (an admin key; any other key is exit 2 with the server's reason) and the log is
// streamed with ?format=&logFormat=&source=; --server without --source is exit 2.
// Skips when apache2 is not installed, unless CI=true (then it must run).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUT } from '../../../app/api/v1/sources/[name]/log-format/route.ts';
import { POST } from '../../../app/api/v1/ingest/route.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import { migrateDatabase } from '../../db/migrations.ts';
import { openDatabase } from '../../db/open.ts';
import { maintainEvidence } from '../../services/evidence/maintenance.ts';
import { registerDatabase } from '../../server/database.ts';
import { getSourceLogFormat } from '../../services/ingest/log-formats.ts';
import { findApache, startApache, type ApacheProcess } from '../../testing/apache-launch.ts';
import { addSelfSigned, driveMatrix } from '../../testing/binding-matrix.ts';
import { openTestDatabase, type TestDatabase } from '../../testing/databases.ts';
import { seedEmbeddedDataDir } from '../../testing/embedded-data-dir.ts';
import { createGatewayPki, type GatewayPki } from '../../testing/gateway-pki.ts';
import { freePort, runCli } from '../../testing/processes.ts';
import { startRouteServer, type RouteServer } from '../../testing/route-server.ts';

const APACHE = findApache();
const IN_CI = process.env.CI === 'true';
if (!APACHE && !IN_CI) console.warn('ingest-gateway-config.test.ts: skipped — apache2 is not installed; set CI=true to make this a failure');
const describeApache = APACHE || IN_CI ? describe : describe.skip;

// An owner's text format with mod_ssl's variables (and Debian's common format logged beside it).
const LOG_FORMATS = `LogFormat "%{%Y-%m-%dT%H:%M:%S}t.%{msec_frac}t%{%z}t %a \\"%r\\" %>s %{SSL_CLIENT_VERIFY}x \\"%{SSL_CLIENT_S_DN}x\\" %{X-Request-ID}i %{UNIQUE_ID}e" hf_text
LogFormat "%h %l %u %t \\"%r\\" %>s %b" common`;

const CONTRACT_KEYS = ['batchId', 'linesRead', 'accepted', 'rejected', 'duplicates', 'skipped', 'skippedReasons', 'errors'];

describeApache('holdfast ingest --gateway-config with a real Apache log', () => {
  let pki: GatewayPki;
  let apache: ApacheProcess | null = null;
  let conf = '';
  let log = '';
  let lines = 0;
  let env: Record<string, string> = {};

  beforeAll(async () => {
    if (!APACHE) throw new Error('CI=true but apache2 is not installed: apt-get install -y apache2');
    pki = createGatewayPki('holdfast-cli-apache-');
    const selfSigned = addSelfSigned(pki);
    const port = await freePort();
    writeFileSync(path.join(pki.dir, 'ok.txt'), 'ok\n');
    apache = await startApache(APACHE, pki.dir, `LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
${LOG_FORMATS}
<VirtualHost 127.0.0.1:${port}>
  SSLEngine on
  SSLCertificateFile ${pki.serverCertPath}
  SSLCertificateKeyFile ${pki.serverKeyPath}
  SSLCACertificateFile ${pki.caPath}
  SSLCARevocationFile ${pki.crlPath}
  SSLCARevocationCheck chain no_crl_for_cert_ok
  SSLVerifyClient optional_no_ca
  SSLVerifyDepth 2
  CustomLog ${pki.dir}/access.log hf_text
  CustomLog ${pki.dir}/common.log common
  AliasMatch ^/ ${pki.dir}/ok.txt
</VirtualHost>`, [port]);
    await driveMatrix(pki, selfSigned, port);
    await apache.stop();
    apache = null;
    // The configuration file Apache ran with, as the owner would point --gateway-config at it.
    conf = path.join(pki.dir, 'apache.conf');
    writeFileSync(conf, readFileSync(path.join(pki.dir, 'httpd.conf')));
    log = path.join(pki.dir, 'access.log');
    lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length;
    env = { HOLDFAST_DATA_DIR: path.join(pki.dir, 'data'), DATABASE_URL: '' };
    // As a started instance leaves it: the first command on a fresh directory says on stderr that it
    // moved the (empty) legacy event table, which is not the output these cases check. The directory
    // starts from the migrated template cluster (as runCli seeds one): PGlite's initdb and the
    // migrations are not what this file tests.
    mkdirSync(env.HOLDFAST_DATA_DIR!);
    await seedEmbeddedDataDir(env);
    const db = await openDatabase({ kind: 'pglite', dataDir: env.HOLDFAST_DATA_DIR! });
    await migrateDatabase(db);
    await maintainEvidence(db);
    await db.close();
  }, 240_000);

  afterAll(async () => {
    await apache?.stop();
    pki?.cleanup();
  });

  it('reads the log with the LogFormat of the configuration: the CONTRACT summary, plus the format read', async () => {
    // Revoked and expired certificates end in the handshake (optional_no_ca): 8 of the 10 requests.
    expect(lines).toBe(8);
    const r = await runCli(['ingest', log, '--format', 'apache', '--gateway-config', conf, '--log-format', 'hf_text', '--source', 'apache-edge', '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual([...CONTRACT_KEYS, 'logFormat']);
    expect(out).toMatchObject({ linesRead: lines, accepted: lines, rejected: 0, duplicates: 0, errors: [], logFormat: { gateway: 'apache', name: 'hf_text' } });
  }, 200_000);

  it('without --log-format, reads the only usable format a CustomLog names (common carries no binding facts)', async () => {
    const r = await runCli(['ingest', log, '--format', 'auto', '--gateway-config', conf, '--source', 'apache-auto', '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ linesRead: lines, accepted: lines, logFormat: { gateway: 'apache', name: 'hf_text' } });
  }, 200_000);

  it('exits 2 with one line for a configuration without a usable format, a wrong name and a bad --gateway-config', async () => {
    const noTime = path.join(pki.dir, 'no-time.conf');
    writeFileSync(noTime, 'LogFormat "%a \\"%r\\" %>s %{SSL_CLIENT_VERIFY}x" plain\nCustomLog /var/log/apache2/a.log plain\n');
    const big = path.join(pki.dir, 'big.conf');
    writeFileSync(big, `${LOG_FORMATS}\n#${'x'.repeat(2 * 1024 * 1024)}\n`);
    const cases: Array<[string[], RegExp]> = [
      [['--format', 'apache', '--gateway-config', noTime], /^holdfast: LogFormat 'plain' has no time/],
      [['--format', 'apache', '--gateway-config', conf, '--log-format', 'nope'], /no LogFormat named 'nope'/],
      [['--format', 'nginx-json', '--gateway-config', conf], /a gateway configuration is read only for the formats nginx, apache and haproxy/],
      [['--format', 'apache', '--gateway-config', path.join(pki.dir, 'missing.conf')], /--gateway-config: cannot read .*ENOENT/],
      [['--format', 'apache', '--gateway-config', pki.dir], /--gateway-config: .* is not a file/],
      [['--format', 'apache', '--gateway-config', big], /at most 2097152 \(2 MiB\)/],
      [['--format', 'apache'], /format apache needs the gateway's configuration/],
      [['--format', 'apache', '--log-format', 'hf_text'], /--log-format picks a format of the gateway configuration: pass --gateway-config FILE/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['ingest', log, ...args, '--json'], { env, timeoutMs: 120_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  }, 600_000);

  describe('with --server', () => {
    let t: TestDatabase;
    let server: RouteServer;
    let admin = '';
    let ingestOnly = '';
    beforeAll(async () => {
      t = await openTestDatabase('pglite');
      registerDatabase(t.db);
      admin = (await createApiKey(t.db, { name: 'cli-admin', role: 'admin', actor: 'test' })).key;
      ingestOnly = (await createApiKey(t.db, { name: 'cli-ingest', role: 'admin', scopes: ['ingest'], actor: 'test' })).key;
      // The two routes the command calls, as the server routes them.
      server = await startRouteServer(async (req) => {
        const u = new URL(req.url);
        const m = /^\/api\/v1\/sources\/([^/]+)\/log-format$/.exec(u.pathname);
        if (m && req.method === 'PUT') return PUT(req, { params: Promise.resolve({ name: decodeURIComponent(m[1]!) }) });
        if (u.pathname === '/api/v1/ingest') return POST(req);
        return new Response('{}', { status: 404 });
      });
    }, 60_000);
    afterAll(async () => {
      registerDatabase(undefined);
      await server?.close();
      await t?.drop();
    });

    it('saves the configuration on the source, then streams the log: the same summary', async () => {
      const r = await runCli(['ingest', log, '--format', 'apache', '--gateway-config', conf, '--log-format', 'hf_text', '--source', 'apache-remote', '--json', '--server', server.url, '--api-key', admin], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ linesRead: lines, accepted: lines, rejected: 0, duplicates: 0, errors: [], logFormat: { gateway: 'apache', name: 'hf_text' } });
      const saved = await getSourceLogFormat(t.db, 'apache-remote', { withConfig: true });
      expect(saved).toMatchObject({ gateway: 'apache', name: 'hf_text', logFormat: 'hf_text', config: readFileSync(conf, 'utf8') });
      // The source keeps it: the next log needs only the format (here: detection with the source).
      const again = await runCli(['ingest', log, '--source', 'apache-remote', '--json', '--server', server.url, '--api-key', admin], { timeoutMs: 180_000 });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ linesRead: lines, accepted: 0, duplicates: lines, logFormat: { gateway: 'apache', name: 'hf_text' } });
    }, 400_000);

    it('exits 2 with the server reason when the key may not save a log format (403), and without --source', async () => {
      const denied = await runCli(['ingest', log, '--format', 'apache', '--gateway-config', conf, '--source', 'apache-remote', '--json', '--server', server.url, '--api-key', ingestOnly], { timeoutMs: 120_000 });
      expect(denied.code, denied.stderr).toBe(2);
      expect(denied.stdout).toBe('');
      expect(denied.stderr.trim().split('\n')).toHaveLength(1);
      expect(denied.stderr).toMatch(/saving the log format on source apache-remote needs an admin key: server answered 403: .*may only ingest/);

      const noSource = await runCli(['ingest', log, '--format', 'apache', '--gateway-config', conf, '--json', '--server', server.url, '--api-key', admin], { timeoutMs: 120_000 });
      expect(noSource.code).toBe(2);
      expect(noSource.stdout).toBe('');
      expect(noSource.stderr.trim()).toBe('holdfast: with --server, --gateway-config needs --source S (the server keeps the format with the source)');

      const unusable = path.join(pki.dir, 'no-time.conf');
      const refused = await runCli(['ingest', log, '--format', 'apache', '--gateway-config', unusable, '--source', 'apache-remote', '--json', '--server', server.url, '--api-key', admin], { timeoutMs: 120_000 });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/server answered 422: LogFormat 'plain' has no time/);
    }, 400_000);
  });
});
