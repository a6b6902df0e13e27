// The real NGINX as an mTLS gateway with two access logs: one server logs the whole client
// certificate (`$ssl_client_escaped_cert`), the other only `$ssl_client_fingerprint` (SHA-1). Once
// the first log made the certificates known, the SHA-1-only lines take their x5t#S256: the bound
// token's cnf is compared (ok for its own certificate, bound_not_enforced/x5t_mismatch for another
// client's), and a line without a token is the certificate's identity's. A SHA-1 no certificate
// has, or more than one has, leaves the line as it was. On both runtimes. Skips when nginx is not
// installed, unless CI=true (then it must run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type ClientName, type GatewayPki } from '../../testing/gateway-pki.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import type { EventRow } from '../estate/lists.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) console.warn('cert-by-sha1-real.test.ts: skipped — nginx is not installed; set CI=true to make this a failure');
const describeNginx = NGINX || IN_CI ? describe : describe.skip;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', exp: 4_000_000_000, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

const LOG_FORMATS = `
  log_format full escape=json '{"t":"$time_iso8601","rid":"$request_id","m":"$request_method","u":"$request_uri","s":$status,'
    '"verify":"$ssl_client_verify","dn":"$ssl_client_s_dn","cert":"$ssl_client_escaped_cert","auth":"$http_authorization"}';
  log_format sha1only '$remote_addr [$time_local] "$request" $status $ssl_client_verify $ssl_client_fingerprint "$http_authorization" $request_id';
`;

describeNginx('SHA-1-only NGINX lines take the x5t#S256 of the certificate Holdfast knows', () => {
  let pki: GatewayPki;
  let config = '';
  // Request id → path, from the SHA-1 log itself (a request kept only in the ledger has no URL).
  const pathOf = new Map<string, string>();
  let stored = new Map<string, EventRow[] | null>();
  let ambiguous = new Map<string, EventRow[] | null>();

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed: apt-get install -y nginx');
    pki = createGatewayPki('holdfast-sha1-join-');
    const [fullPort, sha1Port] = [await freePort(), await freePort()];
    const server = (port: number, mode: string, log: string) => `
  server {
    listen 127.0.0.1:${port} ssl;
    server_name api.test;
    ssl_certificate ${pki.serverCertPath};
    ssl_certificate_key ${pki.serverKeyPath};
    ssl_client_certificate ${pki.caPath};
    ssl_verify_client ${mode};
    ssl_session_cache off;
    ssl_session_tickets off;
    access_log ${pki.dir}/${log}.log ${log};
    location / { return 200 "ok\\n"; }
  }`;
    const nginx = await startNginx(NGINX, pki.dir, 'gw', `${LOG_FORMATS}${server(fullPort, 'optional', 'full')}${server(sha1Port, 'optional_no_ca', 'sha1only')}`, [fullPort, sha1Port]);
    const token = jwt({ sub: 'svc-a-client', client_id: 'svc-a-client', cnf: { 'x5t#S256': pki.clients.good.x5t } });
    const send = async (port: number, path: string, client: ClientName, withToken: boolean) => {
      const r = await tlsRequest(pki, { port, path, client, headers: withToken ? { authorization: `Bearer ${token}` } : {} });
      expect(r.status, `${path} ${client}`).toBe(200);
    };
    try {
      await send(fullPort, '/full-good', 'good', true);
      await send(fullPort, '/full-other', 'other', false);
      await send(sha1Port, '/own-cert', 'good', true);
      await send(sha1Port, '/stolen', 'other', true);
      await send(sha1Port, '/no-token', 'good', false);
      await send(sha1Port, '/unknown-cert', 'untrusted', false);
    } finally {
      await nginx.stop();
    }
    config = readFileSync(join(pki.dir, 'gw.conf'), 'utf8');
    const full = readFileSync(join(pki.dir, 'full.log'), 'utf8');
    const sha1 = readFileSync(join(pki.dir, 'sha1only.log'), 'utf8');
    expect(sha1).toContain(pki.clients.good.sha1Hex);
    for (const l of sha1.trim().split('\n')) pathOf.set(l.slice(l.lastIndexOf(' ') + 1), /"GET (\S+) /.exec(l)![1]!);
    expect(sha1).not.toContain(encodeURIComponent(pki.clients.good.pem).slice(30, 60));
    const ingest = async (t: Parameters<Parameters<typeof onEachRuntime>[0]>[0], text: string, logFormat: string, source: string, lines: number) => {
      const s = await ingestStream(t.db, [text], { format: 'nginx', gatewayConfig: config, logFormat, sourceName: source, actor: 'test' });
      expect(s, JSON.stringify(s.errors)).toMatchObject({ accepted: lines, rejected: 0 });
    };
    stored = await onEachRuntime(async (t) => {
      await ingest(t, full, 'full', 'nginx-full', 2);
      await ingest(t, sha1, 'sha1only', 'nginx-sha1', 4);
      return (await allEvents(t.db)).filter((e) => e.source === 'nginx-sha1');
    });
    // Two stored certificates with the untrusted client's SHA-1 (an inventory that says so): no join.
    ambiguous = await onEachRuntime(async (t) => {
      await t.db.query(`INSERT INTO "Certificate" ("x5tS256", "sha1Hex") VALUES ($1, $3), ($2, $3)`, ['A'.repeat(43), 'B'.repeat(43), pki.clients.untrusted.sha1Hex]);
      await ingest(t, sha1.split('\n').filter((l) => l.includes('/unknown-cert')).join('\n').replace('/unknown-cert', '/ambiguous') + '\n', 'sha1only', 'nginx-sha1-again', 1);
      return (await allEvents(t.db)).filter((e) => e.source === 'nginx-sha1-again');
    });
  }, 180_000);

  afterAll(() => pki?.cleanup());

  const byPath = (events: EventRow[]) => new Map(events.map((e) => [pathOf.get(e.requestId ?? '') ?? '?', e]));

  it.each(RUNTIMES)('%s: a bound token with its own certificate is ok, with another client\'s it is bound_not_enforced (x5t_mismatch)', (runtime) => {
    const events = stored.get(runtime);
    if (!events) return;
    const p = byPath(events);
    expect(p.get('/own-cert')).toMatchObject({ x5tS256: pki.clients.good.x5t, verdict: 'ok', reason: null, identity: 'svc-a-client' });
    expect(p.get('/stolen')).toMatchObject({ x5tS256: pki.clients.other.x5t, verdict: 'bound_not_enforced', reason: 'x5t_mismatch', identity: 'svc-a-client' });
  });

  it.each(RUNTIMES)('%s: a line without a token is the certificate\'s (x5t#S256, identity); an unknown SHA-1 stays without one', (runtime) => {
    const events = stored.get(runtime);
    if (!events) return;
    const p = byPath(events);
    expect(p.get('/no-token')).toMatchObject({ x5tS256: pki.clients.good.x5t, identity: 'svc-a-client' });
    expect(p.get('/unknown-cert')).toMatchObject({ x5tS256: null });
  });

  it.each(RUNTIMES)('%s: a SHA-1 two stored certificates carry joins neither', (runtime) => {
    const events = ambiguous.get(runtime);
    if (!events) return;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ x5tS256: null });
  });
});
