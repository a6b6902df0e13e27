// The URL a DPoP proof's htu is checked against, at a backend behind real TLS edges that forward it
// in ways the recommended edges do not (lib/ingest/forwarded-origin.ts):
//  - an HAProxy edge on a non-default port that sends X-Forwarded-Host without the port and the
//    port in X-Forwarded-Port (as AWS ALB and many HAProxy setups do): the proof the client made for
//    https://api.test:<edge>/… is ok, and one made for another port of that host is not;
//  - an NGINX edge that appends to X-Forwarded-Proto / X-Forwarded-Host
//    (`"$http_x_forwarded_host, $http_host"`) instead of replacing them: a client that sends its own
//    X-Forwarded-Host: evil.test with a proof made for evil.test must not read ok — with the edge as
//    the source's trusted proxy the value it added (the rightmost: this backend logs no
//    X-Forwarded-For, so its TCP peer is the one trusted hop counted) is the URL, and the line is
//    labelled — while a good client stays ok. Two trusted proxies in a row:
//    two-trusted-proxies-real.test.ts.
// Real HAProxy, NGINX (edges and backend, the owner's own log format), a real DPoP client; both
// database runtimes. Skips when a gateway is missing, unless CI=true (then it must run).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeJwkThumbprint } from '../../binding/jwk-thumbprint.ts';
import { ath, ecKey, makeProof, type TestKey } from '../../binding/testing/proofs.ts';
import { sha256B64url } from '../../credentials/fingerprint.ts';
import { FORWARDED_ORIGIN_LABEL } from '../../ingest/forwarded-origin.ts';
import { openParseStream } from '../../ingest/parse-stream.ts';
import { parseTrustedProxies, type Cidr } from '../../hops/trusted-proxies.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import { ingestStream } from './index.ts';
import { setSourceTrustedProxies } from './queries.ts';
import { allEvents } from './testing/stored-events.ts';

const BINS = { nginx: findNginx(), haproxy: findHaproxy() };
const IN_CI = process.env.CI === 'true';
const ALL = !!(BINS.nginx && BINS.haproxy);
if (!ALL && !IN_CI) console.warn('forwarded-origin-real.test.ts: skipped — nginx and haproxy are needed; set CI=true to make this a failure');
const describeReal = ALL || IN_CI ? describe : describe.skip;

type Case = 'port-good' | 'port-other' | 'append-good' | 'append-forged';

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describeReal('forwarded origin at a backend: X-Forwarded-Port, and edges that append to the forwarding headers', () => {
  let pki: GatewayPki;
  let owner: TestKey;
  let log = '';
  let config = '';
  let stored = new Map<'pglite' | 'postgres', { verdicts: Record<string, string>; warnings: string[] } | null>();
  const byFingerprint = new Map<string, Case>();
  const port = { haproxyEdge: 0, nginxEdge: 0, backend: 0 };
  const tokenOf = (c: Case) =>
    `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-dpop', client_id: 'svc-dpop', jti: c, exp: 4_000_000_000, cnf: { jkt: computeJwkThumbprint(owner.publicJwk) } })}.c2lnLW5vdC1yZWFs`;

  beforeAll(async () => {
    if (!ALL) throw new Error('CI=true but nginx or haproxy is not installed');
    pki = createGatewayPki('holdfast-fwd-origin-');
    owner = ecKey();
    [port.haproxyEdge, port.nginxEdge, port.backend] = [await freePort(), await freePort(), await freePort()];
    const pem = join(pki.dir, 'server.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    for (const d of ['edge', 'backend']) mkdirSync(join(pki.dir, d));

    // HAProxy/AWS style: the host without its port, the port the edge accepted on beside it.
    const haproxy = await startHaproxy(BINS.haproxy!, join(pki.dir, 'edge'), 'edge', `${HAPROXY_TEST_HEAD}
frontend edge
  bind 127.0.0.1:${port.haproxyEdge} ssl crt ${pem}
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Forwarded-Host %[req.hdr(host),field(1,:)]
  http-request set-header X-Forwarded-Port %[dst_port]
  http-request set-header Host backend.internal:${port.backend}
  default_backend to_backend
backend to_backend
  server s 127.0.0.1:${port.backend} source 127.0.0.1
`, [port.haproxyEdge]);
    // An edge that appends to what the client sent instead of replacing it.
    const edge = await startNginx(BINS.nginx!, join(pki.dir, 'edge'), 'nginx-edge', `server {
    listen 127.0.0.1:${port.nginxEdge} ssl;
    ssl_certificate ${pki.serverCertPath};
    ssl_certificate_key ${pki.serverKeyPath};
    location / {
      proxy_set_header X-Forwarded-Proto "$http_x_forwarded_proto, $scheme";
      proxy_set_header X-Forwarded-Host "$http_x_forwarded_host, $http_host";
      proxy_set_header Host backend.internal:${port.backend};
      proxy_pass http://127.0.0.1:${port.backend};
    }
  }`, [port.nginxEdge]);
    const logFile = join(pki.dir, 'backend', 'access.log');
    const backend = await startNginx(BINS.nginx!, join(pki.dir, 'backend'), 'backend', `log_format backend '$time_iso8601 $realip_remote_addr $scheme $host "$request" $status "$http_authorization" "$http_dpop" xfp="$http_x_forwarded_proto" xfh="$http_x_forwarded_host" xfport="$http_x_forwarded_port" fwd="$http_forwarded"';
  server { listen 127.0.0.1:${port.backend}; access_log ${logFile} backend; location / { return 200 "ok\\n"; } }`, [port.backend]);
    try {
      const send = async (c: Case, edgePort: number, htu: string, headers: Record<string, string> = {}) => {
        byFingerprint.set(sha256B64url(tokenOf(c)), c);
        const proof = makeProof(owner, { htm: 'GET', htu, ath: ath(tokenOf(c)) });
        const r = await tlsRequest(pki, { port: edgePort, path: `/case/${c}`, client: null, headers: { Authorization: `DPoP ${tokenOf(c)}`, DPoP: proof, ...headers } });
        expect(r.status, c).toBe(200);
      };
      await send('port-good', port.haproxyEdge, `https://api.test:${port.haproxyEdge}/case/port-good`);
      // A proof made for the same host on another port (another service of that host), replayed here.
      await send('port-other', port.haproxyEdge, `https://api.test:${port.haproxyEdge + 1}/case/port-other`);
      await send('append-good', port.nginxEdge, `https://api.test:${port.nginxEdge}/case/append-good`);
      // The attacker names the origin its proof was made for; the edge appends its own after it.
      await send('append-forged', port.nginxEdge, 'https://evil.test/case/append-forged', { 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'https' });
    } finally {
      await Promise.all([haproxy.stop(), edge.stop(), backend.stop()]);
    }
    log = readFileSync(logFile, 'utf8');
    config = readFileSync(join(pki.dir, 'backend', 'backend.conf'), 'utf8');

    stored = await onEachRuntime(async (t) => {
      await setSourceTrustedProxies(t.db, { source: 'backend', trustedProxies: ['127.0.0.1'], actor: 'test' });
      const s = await ingestStream(t.db, [log], { format: 'nginx', gatewayConfig: config, sourceName: 'backend', actor: 'test' });
      expect(s, JSON.stringify(s.errors)).toMatchObject({ accepted: 4, rejected: 0 });
      const verdicts: Record<string, string> = {};
      for (const e of await allEvents(t.db)) {
        const c = byFingerprint.get(e.tokenFingerprint ?? '') ?? `unknown:${e.url}`;
        verdicts[c] = `${e.verdict}/${e.reason ?? '-'}`;
      }
      return { verdicts, warnings: (s.warnings ?? []).filter((w) => /forwarding headers/.test(w)) };
    });
  }, 180_000);

  afterAll(() => pki?.cleanup());

  it('the backend logged what each edge sent: the port apart from the host, and the appended lists', () => {
    expect(log).toContain(`xfh="api.test" xfport="${port.haproxyEdge}"`);
    expect(log).toContain(`xfp="https, https" xfh="evil.test, api.test:${port.nginxEdge}"`);
    expect(log).toContain(`xfp=", https" xfh=", api.test:${port.nginxEdge}"`);
  });

  it.each(RUNTIMES)('%s: X-Forwarded-Port makes the URL the client called; an appended forged host does not decide it', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.verdicts).toEqual({
      'port-good': 'ok/-',
      'port-other': 'bound_not_enforced/htu',
      'append-good': 'ok/-',
      'append-forged': 'bound_not_enforced/htu',
    });
    // This backend logs no X-Forwarded-For: only its TCP peer counts as a trusted proxy, and the warning says so.
    expect(s.warnings).toEqual([expect.stringMatching(/^1 line carried forwarding headers with more values than their trusted proxies add \(first: X-Forwarded-Proto, X-Forwarded-Host held more values than the trusted proxy 127\.0\.0\.1 adds.* It logs no X-Forwarded-For, so only the TCP peer was counted as a trusted proxy/)]);
  });

  it('the lines as parsed with the edge as trusted proxy: the URL each client called; only the forged line is labelled', async () => {
    const edge = (parseTrustedProxies(['127.0.0.1']) as { cidrs: Cidr[] }).cidrs;
    const got: Record<string, { url: string | null; label: string | null }> = {};
    const { results } = await openParseStream([log], { format: 'nginx', gatewayConfig: config, trustedProxies: () => edge });
    for await (const r of results) {
      if (r.result.kind !== 'event') throw new Error(`line ${r.lineNo}: ${JSON.stringify(r.result)}`);
      const e = r.result.event;
      got[/\/case\/([\w-]+)/.exec(e.url ?? '')?.[1] ?? '?'] = { url: e.url, label: e.labels?.[FORWARDED_ORIGIN_LABEL] ?? null };
    }
    expect(got).toEqual({
      'port-good': { url: `https://api.test:${port.haproxyEdge}/case/port-good`, label: null },
      'port-other': { url: `https://api.test:${port.haproxyEdge}/case/port-other`, label: null },
      'append-good': { url: `https://api.test:${port.nginxEdge}/case/append-good`, label: null },
      'append-forged': {
        url: `https://api.test:${port.nginxEdge}/case/append-forged`,
        label: "outermost trusted value used: X-Forwarded-Proto, X-Forwarded-Host held more values than the trusted proxy 127.0.0.1 adds; the ones on the left may be the client's own (X-Forwarded-For is not logged: only the TCP peer was counted as a trusted proxy)",
      },
    });
  });
});
