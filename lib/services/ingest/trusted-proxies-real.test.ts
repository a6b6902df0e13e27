// A forged Client-Cert sent straight to a backend, bypassing the edge (real gateways, both runtimes).
// An HAProxy edge (the recommended frontend: Client-Cert set from the TLS session, a client's copy
// removed) in front of an NGINX backend (the recommended njs backend format and binding check) and an
// Apache backend (logging %{c}a and the Client-Cert it received). The edge connects from 127.0.0.1;
// a thief with a token bound to another client's certificate (certificates are public) connects to
// each backend's port from 127.0.0.2 and sends that certificate in Client-Cert himself: the backends
// believe it (200). With the backends' sources trusting 127.0.0.1/32 only, the direct requests read
// spoofed_client_cert (reason forwarded_cert_untrusted_peer) and the owner's, through the edge, stay
// ok; without trusted proxies they read ok, and the batch says the header is believed from any peer.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/open.ts';
import { NGINX_BACKEND_BINDING_CHECK, NGINX_BACKEND_NJS_LOG_FORMAT, NGINX_NJS_LOAD_MODULE, NGINX_NJS_MODULE, haproxyFrontend, nginxNjsHttpConfig } from '../../ingest/gateway-configs.ts';
import { findApache, startApache, type ApacheProcess } from '../../testing/apache-launch.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy, type HaproxyProcess } from '../../testing/haproxy-launch.ts';
import { startNginx, type NginxProcess } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import type { EventRow } from '../estate/lists.ts';
import { evaluateFindings } from '../findings/index.ts';
import { ingestStream, type IngestSummary } from './pipeline.ts';
import { createSource, setSourceTrustedProxies } from './queries.ts';
import { allEvents } from './testing/stored-events.ts';
import { forwardingViews, type ForwardingView } from './forwarders.ts';

const NGINX = findNginx();
const HAPROXY = findHaproxy();
const APACHE = findApache();
const IN_CI = process.env.CI === 'true';
if ((!NGINX || !HAPROXY || !APACHE) && !IN_CI) console.warn('trusted-proxies-real.test.ts: skipped — needs nginx with njs, haproxy and apache2; set CI=true to make this a failure');
const describeReal = (NGINX && HAPROXY && APACHE) || IN_CI ? describe : describe.skip;

type Backend = 'nginx' | 'apache';
const BACKENDS: readonly Backend[] = ['nginx', 'apache'];
const MODULES = '/usr/lib/apache2/modules';

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** One plain-HTTP request to 127.0.0.1:port, the socket bound to `from` (any 127/8 address reaches the loopback). */
function directRequest(port: number, path: string, from: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, localAddress: from, headers: { host: 'api.test', ...headers }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

interface FindingOut {
  rule: string;
  severity: string;
  title: string;
  explanation: string;
  recommendation: string;
  evidence: Record<string, unknown>;
}

interface Run {
  events: EventRow[];
  /** The forwarders and trusted-proxy warnings of each source, by name. */
  views: Map<string, ForwardingView>;
  summaries: Record<Backend, IngestSummary>;
  findings: FindingOut[];
  /** Open forwarded_cert_from_untrusted_peer findings once the NGINX backend's source trusts 127.0.0.2 too. */
  afterTrustingPeer: FindingOut[];
}

interface Logs {
  edge: string;
  haproxyConfig: string;
  nginx: string;
  apache: string;
  apacheConfig: string;
}

describeReal('a forged Client-Cert sent straight to a backend: trusted proxies (real HAProxy edge, NGINX and Apache backends)', () => {
  let pki: GatewayPki;
  let dir = '';
  const procs: Array<NginxProcess | HaproxyProcess | ApacheProcess> = [];
  const ids = { edge: {} as Record<Backend, string>, direct: {} as Record<Backend, string> };
  const statuses = new Map<string, number>();
  let logs: Logs;
  let token = '';

  async function run(): Promise<void> {
    const ports = { edge: await freePort(), nginx: await freePort(), apache: await freePort() };
    const njs = join(dir, 'holdfast.js');
    writeFileSync(njs, NGINX_NJS_MODULE);
    procs.push(await startNginx(NGINX!, dir, 'backend', `${nginxNjsHttpConfig({ njsPath: njs })}
${NGINX_BACKEND_NJS_LOG_FORMAT}
${NGINX_BACKEND_BINDING_CHECK}
server {
  listen 127.0.0.1:${ports.nginx};
  access_log ${dir}/nginx-backend.json holdfast_backend_json;
  # The client address from X-Forwarded-For of any loopback peer (as backends behind a proxy often
  # do): $remote_addr is then whatever the sender wrote, $realip_remote_addr stays the TCP peer.
  set_real_ip_from 127.0.0.0/8;
  real_ip_header X-Forwarded-For;
  location / {
    if ($holdfast_binding_ok = 0) { return 401 "binding\\n"; }
    return 200 "ok\\n";
  }
}`, [ports.nginx], NGINX_NJS_LOAD_MODULE));

    const www = join(dir, 'www');
    mkdirSync(www);
    writeFileSync(join(www, 'index.html'), 'ok\n');
    const apacheConfig = `LoadModule rewrite_module ${MODULES}/mod_rewrite.so
<Directory ${www}>
  Require all granted
</Directory>
SetEnvIf Authorization "^([A-Za-z0-9_-]+) " HOLDFAST_AUTHZ_SCHEME=$1
SetEnvIf DPoP "." HOLDFAST_HAS_DPOP=1
SetEnvIf Authorization "^[A-Za-z]+ +[A-Za-z0-9_-]+\\.([A-Za-z0-9_-]+)\\." HOLDFAST_TOKEN_CLAIMS=$1
LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %{c}a \\"%r\\" %>s %{UNIQUE_ID}e \\"%{X-Request-ID}i\\" %{HOLDFAST_AUTHZ_SCHEME}e %{HOLDFAST_HAS_DPOP}e %{HOLDFAST_TOKEN_CLAIMS}e \\"%{Client-Cert}i\\"" backend
CustomLog ${dir}/apache-backend.log backend
<VirtualHost 127.0.0.1:${ports.apache}>
  DocumentRoot ${www}
  RewriteEngine on
  RewriteRule ^ /index.html [L]
</VirtualHost>`;
    procs.push(await startApache(APACHE!, dir, apacheConfig, [ports.apache]));

    // The recommended frontend verbatim, with a route to the Apache backend.
    const pem = join(dir, 'server-haproxy.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const frontend = haproxyFrontend({ bind: `127.0.0.1:${ports.edge}`, crtFile: pem, caFile: pki.caPath, crlFile: pki.crlPath, logTarget: 'stdout', backend: 'backend_nginx' });
    const haproxyConfig = `${HAPROXY_TEST_HEAD}${frontend.replace('  default_backend', '  use_backend backend_apache if { path_beg /apache/ }\n  default_backend')}backend backend_nginx
  server nginx 127.0.0.1:${ports.nginx}
backend backend_apache
  server apache 127.0.0.1:${ports.apache}
`;
    const haproxy = await startHaproxy(HAPROXY!, dir, 'haproxy-edge', haproxyConfig, [ports.edge]);
    procs.push(haproxy);

    token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', jti: randomUUID(), cnf: { 'x5t#S256': pki.clients.good.x5t } })}.c2lnLW5vdC1yZWFs`;
    for (const b of BACKENDS) {
      // The owner, through the edge with its own certificate.
      ids.edge[b] = `edge-${b}-${randomUUID()}`;
      const viaEdge = await tlsRequest(pki, { port: ports.edge, path: `/${b}/owner`, client: 'good', headers: { Authorization: `Bearer ${token}`, 'X-Request-ID': ids.edge[b] } });
      statuses.set(ids.edge[b], viaEdge.status);
      // The thief, straight to the backend from 127.0.0.2, with the owner's certificate in Client-Cert.
      ids.direct[b] = `direct-${b}-${randomUUID()}`;
      statuses.set(ids.direct[b], await directRequest(ports[b], `/${b}/forged`, '127.0.0.2', {
        Authorization: `Bearer ${token}`, 'Client-Cert': `:${pki.clients.good.derB64}:`, 'X-Request-ID': ids.direct[b], 'X-Forwarded-For': '203.0.113.9',
      }));
    }
    for (const p of procs.splice(0).reverse()) await p.stop();
    const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : '');
    logs = { edge: readFileSync(haproxy.logFile, 'utf8'), haproxyConfig, nginx: read('nginx-backend.json'), apache: read('apache-backend.log'), apacheConfig };
  }

  /** Ingests the edge's and both backends' logs, one source each; `trusted` sets the backends' trusted proxies first. */
  async function ingestAll(db: Database, trusted: string[] | null): Promise<Run> {
    if (trusted) {
      // One through createSource (the Sources page), one through the setting of an existing source (the CLI, PUT …/trusted-proxies).
      await createSource(db, { name: 'nginx-backend', format: 'nginx-json', trustedProxies: trusted, actor: 'test' });
      await createSource(db, { name: 'apache-backend', format: 'apache', actor: 'test' });
      await setSourceTrustedProxies(db, { source: 'apache-backend', trustedProxies: trusted, actor: 'test' });
    }
    const edge = await ingestStream(db, [logs.edge], { format: 'haproxy', sourceName: 'hap-edge', gatewayConfig: logs.haproxyConfig, logFormat: 'holdfast_edge', actor: 'test' });
    expect(edge.rejected, JSON.stringify(edge.errors)).toBe(0);
    const nginx = await ingestStream(db, [logs.nginx], { format: 'nginx-json', sourceName: 'nginx-backend', actor: 'test' });
    const apache = await ingestStream(db, [logs.apache], { format: 'apache', sourceName: 'apache-backend', gatewayConfig: logs.apacheConfig, actor: 'test' });
    for (const s of [nginx, apache]) expect([s.accepted, s.rejected], JSON.stringify(s.errors)).toEqual([2, 0]);
    // The Apache format logs the TCP peer (%{c}a): no warning that it cannot be told.
    expect(apache.logFormat?.warnings.filter((w) => /TCP peer/.test(w))).toEqual([]);
    // The whole estate's findings, as the evaluation after the batches makes them.
    await evaluateFindings(db, { actor: 'test' });
    const findings = (await db.query(`SELECT rule, severity, title, explanation, recommendation, evidence FROM "Finding" WHERE status = 'open' ORDER BY rule, "dedupeKey"`)) as FindingOut[];
    const sources = await db.query<{ id: string; name: string; trustedProxies: string[] }>(`SELECT id::text AS id, name, "trustedProxies" FROM "Source"`);
    const byId = await forwardingViews(db, sources);
    const views = new Map(sources.map((s) => [s.name, byId.get(s.id)!]));
    const events = await allEvents(db);
    // The admin then lists 127.0.0.2 as a proxy of the NGINX backend: the finding leaves it out.
    let afterTrustingPeer: FindingOut[] = [];
    if (trusted) {
      await setSourceTrustedProxies(db, { source: 'nginx-backend', trustedProxies: [...trusted, '127.0.0.2'], actor: 'test' });
      await evaluateFindings(db, { actor: 'test' });
      afterTrustingPeer = (await db.query(`SELECT rule, severity, title, explanation, recommendation, evidence FROM "Finding" WHERE status = 'open' AND rule = 'forwarded_cert_from_untrusted_peer' ORDER BY "dedupeKey"`)) as FindingOut[];
    }
    return { events, summaries: { nginx, apache }, findings, views, afterTrustingPeer };
  }

  interface BroadRun {
    events: EventRow[];
    first: Record<Backend, IngestSummary>;
    second: Record<Backend, IngestSummary>;
    views: Map<string, ForwardingView>;
    sourceIds: Record<Backend, string>;
    findingsBefore: number;
    findingsAfterNarrowing: FindingOut[];
  }

  /**
   * The backends' sources trust all of 127.0.0.0/8 (a network of clients as much as of proxies). The
   * owner's line through the edge (127.0.0.1) comes in a first batch, the thief's (127.0.0.2) in a
   * second: a peer inside the trusted network that never forwarded a certificate before.
   */
  async function ingestBroad(db: Database): Promise<BroadRun> {
    const first = {} as Record<Backend, IngestSummary>;
    const second = {} as Record<Backend, IngestSummary>;
    const sourceIds = {} as Record<Backend, string>;
    await ingestStream(db, [logs.edge], { format: 'haproxy', sourceName: 'hap-edge', gatewayConfig: logs.haproxyConfig, logFormat: 'holdfast_edge', actor: 'test' });
    for (const b of BACKENDS) {
      sourceIds[b] = (await createSource(db, { name: `${b}-backend`, trustedProxies: ['127.0.0.0/8'], actor: 'test' })).id;
      const lines = (b === 'nginx' ? logs.nginx : logs.apache).split('\n').filter((l) => l.trim() !== '');
      expect(lines, b).toHaveLength(2);
      const opts = b === 'nginx' ? { format: 'nginx-json' } : { format: 'apache', gatewayConfig: logs.apacheConfig };
      first[b] = await ingestStream(db, [`${lines[0]}\n`], { ...opts, sourceName: `${b}-backend`, actor: 'test' });
      second[b] = await ingestStream(db, [`${lines[1]}\n`], { ...opts, sourceName: `${b}-backend`, actor: 'test' });
    }
    const rows = await db.query<{ id: string; trustedProxies: string[] }>(`SELECT id::text AS id, "trustedProxies" FROM "Source" WHERE id = ANY($1::uuid[])`, [Object.values(sourceIds)]);
    const views = await forwardingViews(db, rows);
    const events = await allEvents(db);
    // Nothing tells the thief from the edge inside 127.0.0.0/8: no finding yet.
    await evaluateFindings(db, { actor: 'test' });
    const before = (await db.query(`SELECT rule FROM "Finding" WHERE status = 'open' AND rule = 'forwarded_cert_from_untrusted_peer'`)).length;
    // The admin narrows the trusted proxies to the edge: the thief's line, believed before, is named.
    for (const b of BACKENDS) await setSourceTrustedProxies(db, { source: `${b}-backend`, trustedProxies: ['127.0.0.1/32'], actor: 'test' });
    await evaluateFindings(db, { actor: 'test' });
    const findings = (await db.query(`SELECT rule, severity, title, explanation, recommendation, evidence FROM "Finding" WHERE status = 'open' AND rule = 'forwarded_cert_from_untrusted_peer' ORDER BY "dedupeKey"`)) as FindingOut[];
    return { events, first, second, views, sourceIds, findingsBefore: before, findingsAfterNarrowing: findings };
  }

  const line = (events: EventRow[], source: string, id: string) => events.find((e) => e.source === source && e.correlationId === id);

  let trustedRuns = new Map<'pglite' | 'postgres', Run | null>();
  let openRuns = new Map<'pglite' | 'postgres', Run | null>();
  let broadRuns = new Map<'pglite' | 'postgres', BroadRun | null>();

  beforeAll(async () => {
    if (!NGINX || !HAPROXY || !APACHE) throw new Error('CI=true but nginx, haproxy or apache2 is not installed');
    pki = createGatewayPki('holdfast-trusted-proxies-');
    dir = join(pki.dir, 'gw');
    mkdirSync(dir);
    await run();
    trustedRuns = await onEachRuntime((t) => ingestAll(t.db, ['127.0.0.1/32']));
    openRuns = await onEachRuntime((t) => ingestAll(t.db, null));
    broadRuns = await onEachRuntime((t) => ingestBroad(t.db));
  }, 240_000);

  afterAll(async () => {
    for (const p of procs.splice(0)) await p.stop();
    pki?.cleanup();
  });

  it('the backends believed the forged header: both direct requests got through (200), as the owner\'s did', () => {
    for (const b of BACKENDS) {
      expect(statuses.get(ids.edge[b]), `${b} via the edge`).toBe(200);
      expect(statuses.get(ids.direct[b]), `${b} direct`).toBe(200);
    }
  });

  it('the logs carry the TCP peer: 127.0.0.1 for the edge, 127.0.0.2 for the thief', () => {
    expect(logs.nginx).toContain('"realip_remote_addr":"127.0.0.2"');
    expect(logs.nginx).toContain('"realip_remote_addr":"127.0.0.1"');
    expect(logs.apache).toMatch(/ 127\.0\.0\.2 "GET \/apache\/forged /);
  });

  it.each(RUNTIMES)('%s: trusted proxies 127.0.0.1/32 — the direct requests are spoofed_client_cert, the edged ones keep their verdict', (runtime) => {
    const r = trustedRuns.get(runtime);
    if (!r) return;
    for (const b of BACKENDS) {
      const direct = line(r.events, `${b}-backend`, ids.direct[b]);
      expect(direct, `${b} direct line`).toBeDefined();
      expect([direct!.verdict, direct!.reason, direct!.chainVerdict], `${b} direct`).toEqual(['spoofed_client_cert', 'forwarded_cert_untrusted_peer', null]);
      const backend = line(r.events, `${b}-backend`, ids.edge[b]);
      const edge = line(r.events, 'hap-edge', ids.edge[b]);
      expect([backend?.verdict, backend?.chainVerdict], `${b} via the edge`).toEqual(['ok', 'ok']);
      expect([edge?.verdict, edge?.chainVerdict], `edge in front of ${b}`).toEqual(['ok', 'ok']);
      // Every forwarded certificate was judged by its peer: nothing to warn about.
      expect(r.summaries[b].warnings, b).toBeUndefined();
    }
  });

  it.each(RUNTIMES)('%s: no trusted proxies — the header is believed from any peer (ok, as today), and the batch says so', (runtime) => {
    const r = openRuns.get(runtime);
    if (!r) return;
    for (const b of BACKENDS) {
      expect(line(r.events, `${b}-backend`, ids.direct[b])?.verdict, `${b} direct`).toBe('ok');
      expect(r.summaries[b].warnings, b).toEqual([
        `2 lines of source ${b}-backend carry a forwarded client certificate (from TCP peers 127.0.0.1, 127.0.0.2): forwarded certificate headers are believed from any peer: set the trusted proxies of the source (the edge addresses that may forward a client certificate), so that a forged header sent straight to the backend reads spoofed_client_cert`,
      ]);
    }
  });

  it.each(RUNTIMES)('%s: trusted proxies 127.0.0.1/32 — one critical forwarded_cert_from_untrusted_peer finding per backend: the thief\'s peer, the claimed identity, the request, the fix', (runtime) => {
    const r = trustedRuns.get(runtime);
    if (!r) return;
    const found = r.findings.filter((f) => f.rule === 'forwarded_cert_from_untrusted_peer');
    expect(found.map((f) => f.evidence.source)).toEqual(['apache-backend', 'nginx-backend']);
    for (const b of BACKENDS) {
      const f = found.find((x) => x.evidence.source === `${b}-backend`)!;
      expect(f.severity, b).toBe('critical');
      expect(f.title).toBe(`${b}-backend accepts client-certificate headers from peers that are not its proxy`);
      expect(f.explanation).toContain('from 127.0.0.0/24');
      expect(f.explanation).toContain('svc-a');
      // Concrete configuration for each gateway kind, and the network.
      for (const s of ['deny all', '$realip_remote_addr', 'RequestHeader unset Client-Cert', 'http-request del-header Client-Cert unless { src', 'Network:']) expect(f.recommendation).toContain(s);
      const e = f.evidence as { requests: number; acceptedRequests: number; peerNetworks: unknown; claimedIdentities: string[]; claimedCertificates: number; examples: Array<Record<string, unknown>>; firstAt: string; lastAt: string };
      expect([e.requests, e.acceptedRequests, e.claimedIdentities, e.claimedCertificates], b).toEqual([1, 1, ['svc-a'], 1]);
      // The thief's peer only: the edge's requests (from 127.0.0.1, trusted) are not counted.
      expect(e.peerNetworks).toEqual([{ network: '127.0.0.0/24', peers: ['127.0.0.2'], requests: 1, accepted: 1 }]);
      expect(e.examples).toHaveLength(1);
      expect(e.examples[0]).toMatchObject({ peer: '127.0.0.2', httpStatus: 200, requestId: ids.direct[b], x5tS256: pki.clients.good.x5t });
      expect(e.firstAt).toBe(e.lastAt);
    }
    // The same traffic raises no other finding about the backends' hole (no hop chain: the thief's request never passed the edge).
    expect(r.findings.filter((f) => f.rule === 'leaking_hop')).toEqual([]);
  });

  it.each(RUNTIMES)('%s: trusted proxies 127.0.0.1/32, then 127.0.0.2 listed too — the NGINX backend\'s finding is resolved, the Apache one stays; the stored verdict stays', (runtime) => {
    const r = trustedRuns.get(runtime);
    if (!r) return;
    expect(r.afterTrustingPeer.map((f) => f.evidence.source)).toEqual(['apache-backend']);
    expect(line(r.events, 'nginx-backend', ids.direct.nginx)?.verdict).toBe('spoofed_client_cert');
  });

  it.each(RUNTIMES)('%s: no trusted proxies — no forwarded_cert_from_untrusted_peer finding (nothing tells the thief from the edge)', (runtime) => {
    const r = openRuns.get(runtime);
    if (!r) return;
    expect(r.findings.filter((f) => f.rule === 'forwarded_cert_from_untrusted_peer')).toEqual([]);
  });

  it.each(RUNTIMES)('%s: trusted proxies 127.0.0.0/8 — the thief is believed, but his batch names him as a peer that never forwarded before, and the source lists both peers', (runtime) => {
    const r = broadRuns.get(runtime);
    if (!r) return;
    for (const b of BACKENDS) {
      // A network of clients: the header is believed from the thief too. That is the hole the warnings name.
      expect(line(r.events, `${b}-backend`, ids.direct[b])?.verdict, `${b} direct`).toBe('ok');
      // The first batch has no history to compare with: the edge is the first forwarder, no warning.
      expect(r.first[b].warnings, b).toBeUndefined();
      expect(r.second[b].warnings, b).toEqual([
        `forwarded client certificates came from a peer that had never forwarded one to source ${b}-backend: 127.0.0.2 (1 line, inside 127.0.0.0/8). The trusted proxies believed them; if they are not your edges, a client inside the trusted network is posing as a proxy (its requests read spoofed_client_cert once the trusted proxies name only the edges)`,
      ]);
      const view = r.views.get(r.sourceIds[b])!;
      // Newest first; both came in the same second or so, so the order is not what is checked here.
      expect(view.forwarders.map((f) => [f.peer, f.lines, f.believedLines, f.trusted]).sort(), b).toEqual([['127.0.0.1', 1, 1, true], ['127.0.0.2', 1, 1, true]]);
      expect(view.forwardersTotal).toBe(2);
      expect(view.trustedProxyWarnings).toEqual([
        '127.0.0.0/8 trusts 16,777,216 addresses: any client inside it can send a forwarded client certificate header straight to the backend and be believed as a proxy; the peers that have forwarded certificates from inside it are 127.0.0.1, 127.0.0.2: trust the addresses of those that are your edges instead',
      ]);
    }
  });

  it.each(RUNTIMES)('%s: trusted proxies narrowed from 127.0.0.0/8 to the edge — the thief\'s line, believed before, is named in a high finding (not re-judged)', (runtime) => {
    const r = broadRuns.get(runtime);
    if (!r) return;
    expect(r.findingsBefore).toBe(0);
    expect(r.findingsAfterNarrowing.map((f) => [f.evidence.source, f.severity])).toEqual([['apache-backend', 'high'], ['nginx-backend', 'high']]);
    for (const f of r.findingsAfterNarrowing) {
      expect(f.explanation).toContain('Before the trusted proxies excluded 127.0.0.2, 1 line from it was believed as a proxy\'s word: those requests were judged as the header said and are not judged again.');
      expect(f.recommendation).toContain('Review what 127.0.0.2 sent while it was believed');
      expect(f.evidence).toMatchObject({ requests: 0, acceptedRequests: 0, believedEarlier: [{ peer: '127.0.0.2', lines: 1 }] });
    }
    // The stored verdict stays what the batch decided.
    for (const b of BACKENDS) expect(line(r.events, `${b}-backend`, ids.direct[b])?.verdict).toBe('ok');
  });

  it.each(RUNTIMES)('%s: trusted proxies 127.0.0.1/32 — the source\'s forwarders are the edge (trusted) and the thief (not), and nothing is too broad', async (runtime) => {
    const r = trustedRuns.get(runtime);
    if (!r) return;
    for (const b of BACKENDS) {
      const v = r.views.get(`${b}-backend`)!;
      // The thief's line was judged spoofed_client_cert: never believed.
      expect(v.forwarders.map((f) => [f.peer, f.lines, f.believedLines, f.trusted]).sort(), b).toEqual([['127.0.0.1', 1, 1, true], ['127.0.0.2', 1, 0, false]]);
      expect(v.trustedProxyWarnings).toEqual([]);
    }
  });

  it('no raw token in any log line Holdfast stored', () => {
    for (const runs of [trustedRuns, openRuns]) {
      for (const r of runs.values()) if (r) expect(JSON.stringify([r.events, r.findings])).not.toContain(token);
    }
  });
});
