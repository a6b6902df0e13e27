// DPoP at a backend behind a TLS-terminating edge, with real software: the real HAProxy 2.6 ends TLS
// and forwards plain HTTP to a real NGINX, Apache and HAProxy backend, setting X-Forwarded-Proto and
// X-Forwarded-Host (the Host the client called, with its port) and rewriting Host to the backend's.
// Each backend logs, in the owner's own format, the DPoP proof, the token and the forwarding headers
// (NGINX `$http_x_forwarded_proto`, Apache `%{X-Forwarded-Proto}i`, HAProxy `capture request header`).
// A real DPoP client makes proofs for the URL it called (https://api.test:<edge>/…). Ingested on
// both runtimes into sources whose trusted proxies are the edge (127.0.0.1): a good proof is ok
// (before: bound_not_enforced/htu, which hid everything else), a replayed one jti_replay, one signed
// by another key jkt_mismatch, and a forged X-Forwarded-Host sent straight to the backend from
// another address (127.0.0.2) is not believed: the backend's own URL stands and the proof fails htu.
// Skips when a gateway is missing, unless CI=true (then it must run).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeJwkThumbprint } from '../../binding/jwk-thumbprint.ts';
import { sha256B64url } from '../../credentials/fingerprint.ts';
import { ath, ecKey, makeProof, type TestKey } from '../../binding/testing/proofs.ts';
import { FORWARDED_ORIGIN_LABEL } from '../../ingest/forwarded-origin.ts';
import { openParseStream } from '../../ingest/parse-stream.ts';
import { parseTrustedProxies, type Cidr } from '../../hops/trusted-proxies.ts';
import { findApache, startApache } from '../../testing/apache-launch.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import { ingestStream } from './index.ts';
import { setSourceTrustedProxies } from './queries.ts';
import { allEvents } from './testing/stored-events.ts';

const BINS = { nginx: findNginx(), apache: findApache(), haproxy: findHaproxy() };
const IN_CI = process.env.CI === 'true';
const ALL = !!(BINS.nginx && BINS.apache && BINS.haproxy);
if (!ALL && !IN_CI) console.warn('dpop-behind-tls-proxy-real.test.ts: skipped — nginx, apache2 and haproxy are needed; set CI=true to make this a failure');
const describeReal = ALL || IN_CI ? describe : describe.skip;

type Backend = 'nginx' | 'apache' | 'haproxy';
const BACKENDS: readonly Backend[] = ['nginx', 'apache', 'haproxy'];
const CASES = ['good', 'replayed', 'thief', 'forged'] as const;
/** What each case must read at the backend (the backend checks nothing and answers 200). */
const EXPECTED: Record<(typeof CASES)[number], { verdict: string; reason: string | null }> = {
  good: { verdict: 'ok', reason: null },
  replayed: { verdict: 'bound_not_enforced', reason: 'jti_replay' },
  thief: { verdict: 'bound_not_enforced', reason: 'jkt_mismatch' },
  forged: { verdict: 'bound_not_enforced', reason: 'htu' },
};

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A plain HTTP request straight to a backend, from another loopback address than the edge's. */
function direct(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, localAddress: '127.0.0.2', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describeReal('DPoP behind a TLS-terminating HAProxy edge: NGINX, Apache and HAProxy backends', () => {
  let pki: GatewayPki;
  const logs = {} as Record<Backend, { text: string; config: string }>;
  let stored = new Map<'pglite' | 'postgres', Record<string, string[]> | null>();
  const byFingerprint = new Map<string, string>();
  /** A DPoP-bound access token (cnf.jkt of the owner's key), its jti the case name. */
  const tokenOf = (jti: string) =>
    `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-dpop', client_id: 'svc-dpop', jti, exp: 4_000_000_000, cnf: { jkt: computeJwkThumbprint(owner.publicJwk) } })}.c2lnLW5vdC1yZWFs`;
  let owner: TestKey;
  let thief: TestKey;
  const edgePort = {} as Record<Backend, number>;
  const backendPort = {} as Record<Backend, number>;

  beforeAll(async () => {
    if (!ALL) throw new Error('CI=true but nginx, apache2 or haproxy is not installed');
    pki = createGatewayPki('holdfast-dpop-proxy-');
    owner = ecKey();
    thief = ecKey();
    for (const b of BACKENDS) [edgePort[b], backendPort[b]] = [await freePort(), await freePort()];
    const pem = join(pki.dir, 'server.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const dirs = Object.fromEntries(BACKENDS.map((b) => [b, join(pki.dir, b)])) as Record<Backend, string>;
    for (const d of Object.values(dirs)) mkdirSync(d);
    mkdirSync(join(dirs.apache, 'case'));
    for (const b of BACKENDS) for (const c of CASES) writeFileSync(join(dirs.apache, 'case', `${b}-${c}`), 'ok\n');

    // The edge: TLS ends here; the client's Host (with its port) goes on as X-Forwarded-Host.
    const edge = await startHaproxy(BINS.haproxy!, pki.dir, 'edge', `${HAPROXY_TEST_HEAD}${BACKENDS.map((b) => `
frontend edge_${b}
  bind 127.0.0.1:${edgePort[b]} ssl crt ${pem}
  http-request set-header X-Forwarded-Proto https
  http-request set-header X-Forwarded-Host %[req.hdr(host)]
  http-request set-header Host backend.internal:${backendPort[b]}
  default_backend to_${b}
backend to_${b}
  server s 127.0.0.1:${backendPort[b]} source 127.0.0.1
`).join('')}`, BACKENDS.map((b) => edgePort[b]));

    const nginxLog = join(dirs.nginx, 'access.log');
    const nginx = await startNginx(BINS.nginx!, dirs.nginx, 'backend', `log_format backend '$time_iso8601 $realip_remote_addr $scheme $host "$request" $status "$http_authorization" "$http_dpop" xfp="$http_x_forwarded_proto" xfh="$http_x_forwarded_host" fwd="$http_forwarded"';
  server { listen 127.0.0.1:${backendPort.nginx}; access_log ${nginxLog} backend; location / { return 200 "ok\\n"; } }`, [backendPort.nginx]);
    const apacheLog = join(dirs.apache, 'access.log');
    const apache = await startApache(BINS.apache!, dirs.apache, `LogFormat "%{%Y-%m-%dT%H:%M:%S}t%{%z}t %{c}a %{HTTPS}x \\"%r\\" %>s \\"%{Host}i\\" \\"%{Authorization}i\\" \\"%{DPoP}i\\" \\"%{X-Forwarded-Proto}i\\" \\"%{X-Forwarded-Host}i\\" \\"%{Forwarded}i\\"" backend
CustomLog ${apacheLog} backend`, [backendPort.apache]);
    const haproxyConfig = `${HAPROXY_TEST_HEAD}
frontend backend_haproxy
  bind 127.0.0.1:${backendPort.haproxy}
  log stdout len 16384 format raw local0
  option dontlognull
  capture request header Host len 64
  capture request header Authorization len 2048
  capture request header DPoP len 2048
  capture request header X-Forwarded-Proto len 16
  capture request header X-Forwarded-Host len 64
  log-format "%ci [%trl] %HM %HU %HV %ST scheme=%[ssl_fc] %hr"
  http-request return status 200 content-type text/plain string ok
`;
    const haproxy = await startHaproxy(BINS.haproxy!, dirs.haproxy, 'backend', haproxyConfig, [backendPort.haproxy]);
    try {
      for (const b of BACKENDS) {
        const name = (c: string) => `${b}-${c}`;
        const token = (c: string) => tokenOf(name(c));
        for (const c of CASES) byFingerprint.set(sha256B64url(token(c)), name(c));
        const htu = (c: string) => `https://api.test:${edgePort[b]}/case/${name(c)}`;
        const send = (c: string, proof: string) =>
          tlsRequest(pki, { port: edgePort[b], path: `/case/${name(c)}`, client: null, headers: { Authorization: `DPoP ${token(c)}`, DPoP: proof } });
        expect((await send('good', makeProof(owner, { htm: 'GET', htu: htu('good'), ath: ath(token('good')) }))).status).toBe(200);
        const replayed = makeProof(owner, { htm: 'GET', htu: htu('replayed'), ath: ath(token('replayed')) });
        for (let i = 0; i < 2; i++) expect((await send('replayed', replayed)).status).toBe(200);
        expect((await send('thief', makeProof(thief, { htm: 'GET', htu: htu('thief'), ath: ath(token('thief')) }))).status).toBe(200);
        // Straight to the backend, claiming the edge's origin: a valid proof for that URL.
        const status = await direct(backendPort[b], `/case/${name('forged')}`, {
          Host: `backend.internal:${backendPort[b]}`, 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': `api.test:${edgePort[b]}`,
          Authorization: `DPoP ${token('forged')}`, DPoP: makeProof(owner, { htm: 'GET', htu: htu('forged'), ath: ath(token('forged')) }),
        });
        expect(status).toBe(200);
      }
    } finally {
      await Promise.all([edge.stop(), nginx.stop(), apache.stop(), haproxy.stop()]);
    }
    logs.nginx = { text: readFileSync(nginxLog, 'utf8'), config: readFileSync(join(dirs.nginx, 'backend.conf'), 'utf8') };
    logs.apache = { text: readFileSync(apacheLog, 'utf8'), config: readFileSync(join(dirs.apache, 'httpd.conf'), 'utf8') };
    logs.haproxy = { text: readFileSync(haproxy.logFile, 'utf8'), config: haproxyConfig };

    stored = await onEachRuntime(async (t) => {
      const out: Record<string, string[]> = {};
      for (const b of BACKENDS) {
        const source = `${b}-backend`;
        await setSourceTrustedProxies(t.db, { source, trustedProxies: ['127.0.0.1'], actor: 'test' });
        const s = await ingestStream(t.db, [logs[b].text], { format: b, gatewayConfig: logs[b].config, sourceName: source, actor: 'test' });
        expect(s, `${b}: ${JSON.stringify(s.errors)}`).toMatchObject({ accepted: 5, rejected: 0 });
        out[`warnings:${b}`] = (s.warnings ?? []).filter((w) => /forwarding headers/.test(w));
      }
      // An ok request is kept as a narrow ledger row (no URL): each is known by its token's fingerprint.
      for (const e of await allEvents(t.db)) {
        const name = byFingerprint.get(e.tokenFingerprint ?? '') ?? `unknown:${e.url}`;
        (out[name] ??= []).push(`${e.verdict}/${e.reason ?? '-'}`);
      }
      for (const v of Object.values(out)) v.sort();
      return out;
    });
  }, 180_000);

  afterAll(() => pki?.cleanup());

  it('each backend logged the forwarding headers the edge set, the client-facing port included', () => {
    for (const b of BACKENDS) {
      expect(logs[b].text, b).toContain(`api.test:${edgePort[b]}`);
      expect(logs[b].text, b).toContain('https');
    }
  });

  it.each(RUNTIMES)('%s: the backends judge each proof against the URL the client called', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    const want = (c: (typeof CASES)[number]) => `${EXPECTED[c].verdict}/${EXPECTED[c].reason ?? '-'}`;
    for (const b of BACKENDS) {
      expect(s[`${b}-good`], `${runtime} ${b}`).toEqual([want('good')]);
      // The replayed proof: its first use is good, its second the replay.
      expect(s[`${b}-replayed`], `${runtime} ${b}`).toEqual([want('replayed'), want('good')]);
      expect(s[`${b}-thief`], `${runtime} ${b}`).toEqual([want('thief')]);
      expect(s[`${b}-forged`], `${runtime} ${b}`).toEqual([want('forged')]);
      // The ingest summary says so once.
      expect(s[`warnings:${b}`], `${runtime} ${b}`).toEqual([expect.stringMatching(/^1 line carried forwarding headers .* not used \(first: the forwarding headers came from TCP peer 127\.0\.0\.2, not one of the source's trusted proxies\): .* reads htu/)]);
    }
    expect(Object.keys(s).filter((k) => k.startsWith('unknown:'))).toEqual([]);
  });

  it('the logs as parsed: a line through the edge has the URL the client called; the forged line says why its forwarded origin was not used, and without trusted proxies it would have been', async () => {
    const edgeOnly = (parseTrustedProxies(['127.0.0.1']) as { cidrs: Cidr[] }).cidrs;
    for (const b of BACKENDS) {
      for (const trusted of [edgeOnly, null]) {
        let forged = 0;
        const { results } = await openParseStream([logs[b].text], { format: b, gatewayConfig: logs[b].config, trustedProxies: () => trusted });
        for await (const r of results) {
          if (r.result.kind === 'skip') continue;
          if (r.result.kind !== 'event') throw new Error(`${b} line ${r.lineNo}: ${JSON.stringify(r.result)}`);
          // Through the edge, from the trusted peer: the URL the client called, the edge's port kept.
          if (r.result.event.url?.endsWith(`${b}-good`)) expect(r.result.event.url, b).toBe(`https://api.test:${edgePort[b]}/case/${b}-good`);
          if (!r.result.event.url?.endsWith(`${b}-forged`)) continue;
          forged++;
          const e = r.result.event;
          if (trusted) {
            // The backend's own URL stands (NGINX's $host drops the port).
            expect(e.url, b).toMatch(new RegExp(`^http://backend\\.internal(:${backendPort[b]})?/case/${b}-forged$`));
            expect(e.labels?.[FORWARDED_ORIGIN_LABEL], b).toMatch(/TCP peer 127\.0\.0\.2, not one of the source's trusted proxies/);
          } else expect(e.url, b).toBe(`https://api.test:${edgePort[b]}/case/${b}-forged`);
        }
        expect(forged, b).toBe(1);
      }
    }
  });
});
