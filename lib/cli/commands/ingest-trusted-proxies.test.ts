// `holdfast ingest … --source S --trusted-proxies CIDR,…` through the real binary, and the API that
// keeps the setting (PUT /api/v1/sources/S/trusted-proxies, POST /api/v1/sources). A backend log
// (the recommended NGINX backend format) with two requests carrying the same Client-Cert: one from
// the edge (127.0.0.1), one sent straight to the backend (127.0.0.2). With the source trusting
// 127.0.0.1/32 the second reads spoofed_client_cert; without, the batch warns on stderr that the
// header is believed from any peer (stdout keeps the CONTRACT shape). A bad CIDR is exit 2 with one
// line, or a 400 problem naming it.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST as createSourceRoute } from '../../../app/api/v1/sources/route.ts';
import { PUT } from '../../../app/api/v1/sources/[name]/trusted-proxies/route.ts';
import { POST as ingestRoute } from '../../../app/api/v1/ingest/route.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import { registerDatabase } from '../../server/database.ts';
import { listSources } from '../../services/ingest/queries.ts';
import { allEvents } from '../../services/ingest/testing/stored-events.ts';
import { openTestDatabase, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, type GatewayPki } from '../../testing/gateway-pki.ts';
import { runCli } from '../../testing/processes.ts';
import { startRouteServer, type RouteServer } from '../../testing/route-server.ts';

const CONTRACT_KEYS = ['batchId', 'linesRead', 'accepted', 'rejected', 'duplicates', 'skipped', 'skippedReasons', 'errors'];
const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('holdfast ingest --trusted-proxies and the trusted proxies of a source', () => {
  let pki: GatewayPki;
  let log = '';
  let env: Record<string, string> = {};

  beforeAll(() => {
    pki = createGatewayPki('holdfast-cli-trusted-');
    const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', cnf: { 'x5t#S256': pki.clients.good.x5t } })}.c2ln`;
    const line = (id: string, peer: string) => JSON.stringify({
      time: new Date().toISOString(), request_id: id, correlation_id: id, remote_addr: peer, realip_remote_addr: peer,
      method: 'GET', scheme: 'http', host: 'api.test', uri: `/api/${id}`, status: 200, http_authorization: `Bearer ${token}`,
      http_client_cert: `:${pki.clients.good.derB64}:`,
    });
    log = path.join(pki.dir, 'backend.json');
    writeFileSync(log, `${line('a0000000000000000000000000000001', '127.0.0.1')}\n${line('a0000000000000000000000000000002', '127.0.0.2')}\n`);
    env = { HOLDFAST_DATA_DIR: path.join(pki.dir, 'data'), DATABASE_URL: '' };
    // An existing directory gets the migrated template cluster (runCli): the first command then
    // skips PGlite's initdb and every migration, which nothing here is about.
    mkdirSync(env.HOLDFAST_DATA_DIR!);
  });

  afterAll(() => pki?.cleanup());

  it('with the edge trusted, the request sent straight to the backend is spoofed_client_cert; stdout keeps the CONTRACT shape', async () => {
    // fd00::/8 (IPv6 private addresses) holds no peer of this log, and is broad enough to hold clients: said on stderr.
    const r = await runCli(['ingest', log, '--format', 'nginx-json', '--source', 'be', '--trusted-proxies', '127.0.0.1/32,fd00::/8', '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(CONTRACT_KEYS);
    expect(out).toMatchObject({ linesRead: 2, accepted: 2, rejected: 0 });
    expect(r.stderr).not.toMatch(/believed from any peer/);
    expect(r.stderr.trim()).toBe(
      "warning: fd00::/8 trusts 2^120 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; list your edges' own addresses instead",
    );
    const events = await runCli(['events', '--json'], { env, timeoutMs: 120_000 });
    const byId = Object.fromEntries(events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { requestId: string; verdict: string; reason: string | null }).map((e) => [e.requestId, [e.verdict, e.reason]]));
    expect(byId).toEqual({
      a0000000000000000000000000000001: ['ok', null],
      a0000000000000000000000000000002: ['spoofed_client_cert', 'forwarded_cert_untrusted_peer'],
    });
  }, 400_000);

  it('without trusted proxies, the batch warns on stderr that the header is believed from any peer', async () => {
    const r = await runCli(['ingest', log, '--format', 'nginx-json', '--source', 'be-open', '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(CONTRACT_KEYS);
    expect(r.stderr).toContain('warning: 2 lines of source be-open carry a forwarded client certificate (from TCP peers 127.0.0.1, 127.0.0.2): forwarded certificate headers are believed from any peer: set the trusted proxies');
  }, 200_000);

  it('exits 2 with one line for a bad CIDR, an empty list or no --source', async () => {
    const cases: Array<[string[], string]> = [
      [['--source', 'be', '--trusted-proxies', '10.0.0.1/8'], 'holdfast: --trusted-proxies: "10.0.0.1/8" has host bits set: the network is 10.0.0.0/8'],
      [['--source', 'be', '--trusted-proxies', '127.0.0.1/32,edge.internal'], 'holdfast: --trusted-proxies: "edge.internal" is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)'],
      [['--source', 'be', '--trusted-proxies', ' '], 'holdfast: --trusted-proxies needs CIDRs separated by commas (e.g. 10.0.0.0/8,2001:db8::/32), or none'],
      [['--trusted-proxies', '10.0.0.0/8'], 'holdfast: --trusted-proxies needs --source S (the trusted proxies are kept with the source)'],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['ingest', log, '--format', 'nginx-json', ...args, '--json'], { env, timeoutMs: 120_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe(message);
    }
  }, 600_000);

  describe('with --server, and the API', () => {
    let t: TestDatabase;
    let server: RouteServer;
    let admin = '';
    beforeAll(async () => {
      t = await openTestDatabase('pglite');
      registerDatabase(t.db);
      admin = (await createApiKey(t.db, { name: 'cli-admin', role: 'admin', actor: 'test' })).key;
      server = await startRouteServer(async (req) => {
        const u = new URL(req.url);
        const m = /^\/api\/v1\/sources\/([^/]+)\/trusted-proxies$/.exec(u.pathname);
        if (m && req.method === 'PUT') return PUT(req, { params: Promise.resolve({ name: decodeURIComponent(m[1]!) }) });
        if (u.pathname === '/api/v1/sources' && req.method === 'POST') return createSourceRoute(req);
        if (u.pathname === '/api/v1/ingest') return ingestRoute(req);
        return new Response('{}', { status: 404 });
      });
    }, 60_000);
    afterAll(async () => {
      registerDatabase(undefined);
      await server?.close();
      await t?.drop();
    });

    const call = (method: string, p: string, body: unknown) =>
      fetch(`${server.url}${p}`, { method, headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('saves the setting on the source first, then streams the log: the direct request is spoofed_client_cert', async () => {
      const r = await runCli(['ingest', log, '--format', 'nginx-json', '--source', 'be-remote', '--trusted-proxies', '127.0.0.0/31, ::1', '--json', '--server', server.url, '--api-key', admin], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/warning/);
      expect(JSON.parse(r.stdout)).toMatchObject({ linesRead: 2, accepted: 2 });
      expect((await listSources(t.db)).find((s) => s.name === 'be-remote')?.trustedProxies).toEqual(['127.0.0.0/31', '::1/128']);
      // 127.0.0.2 is outside 127.0.0.0/31.
      expect((await allEvents(t.db)).map((e) => [e.requestId, e.verdict]).sort()).toEqual([
        ['a0000000000000000000000000000001', 'ok'], ['a0000000000000000000000000000002', 'spoofed_client_cert'],
      ]);
    }, 300_000);

    it('PUT …/trusted-proxies answers the canonical list, 400 with a problem naming a bad CIDR; POST /sources takes them too', async () => {
      const ok = await call('PUT', '/api/v1/sources/be-api/trusted-proxies', { trustedProxies: ['10.0.0.0/8', '2001:DB8::/32', '10.0.0.0/8'] });
      expect(ok.status).toBe(201);
      // Both networks are broad enough to hold clients: each gets a warning.
      expect(await ok.json()).toEqual({
        source: 'be-api', trustedProxies: ['10.0.0.0/8', '2001:db8::/32'], warnings: [
          "10.0.0.0/8 trusts 16,777,216 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; list your edges' own addresses instead",
          "2001:db8::/32 trusts 2^96 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; list your edges' own addresses instead",
        ],
      });
      const again = await call('PUT', '/api/v1/sources/be-api/trusted-proxies', { trustedProxies: [] });
      expect([again.status, await again.json()]).toEqual([200, { source: 'be-api', trustedProxies: [], warnings: [] }]);

      // With --server the CLI prints the server's warnings on stderr, stdout keeping the CONTRACT shape.
      const broad = await runCli(['ingest', log, '--format', 'nginx-json', '--source', 'be-remote', '--trusted-proxies', '127.0.0.0/8', '--json', '--server', server.url, '--api-key', admin], { timeoutMs: 180_000 });
      expect(broad.code, broad.stderr).toBe(0);
      expect(Object.keys(JSON.parse(broad.stdout))).toEqual(CONTRACT_KEYS);
      // be-remote has seen 127.0.0.1 and 127.0.0.2 forward (the test before): offered as the narrow list.
      expect(broad.stderr.trim()).toBe(
        'warning: 127.0.0.0/8 trusts 16,777,216 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; the peers that have forwarded certificates from inside it are 127.0.0.1, 127.0.0.2: trust the addresses of those that are your edges instead',
      );

      const bad = await call('PUT', '/api/v1/sources/be-api/trusted-proxies', { trustedProxies: ['10.0.0.0/40'] });
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect(await bad.json()).toMatchObject({ status: 400, code: 'bad_request', detail: 'trustedProxies: "10.0.0.0/40": the prefix length of an IPv4 network is 0 to 32' });

      const created = await call('POST', '/api/v1/sources', { name: 'be-new', trustedProxies: ['192.0.2.7'] });
      expect(created.status).toBe(201);
      expect(await created.json()).toMatchObject({ name: 'be-new', trustedProxies: ['192.0.2.7/32'] });
      const refused = await call('POST', '/api/v1/sources', { name: 'be-bad', trustedProxies: ['not-an-ip'] });
      expect([refused.status, ((await refused.json()) as { detail: string }).detail]).toEqual([400, 'trustedProxies: "not-an-ip" is not an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8, 2001:db8::/32)']);
      expect((await listSources(t.db)).map((s) => s.name)).not.toContain('be-bad');
    }, 60_000);
  });
});
