// Two trusted proxies in a row, with real software: a real NGINX TLS edge (127.0.0.2 towards the
// next hop) → a real NGINX internal load balancer (127.0.0.3) → a real NGINX backend logging the
// recommended backend format (NGINX_BACKEND_JSON_LOG_FORMAT, plus the token and DPoP proof so the
// proofs can be checked at this hop). Both proxies append to X-Forwarded-For, -Proto and -Host,
// so the backend's lists hold one value per proxy: the edge's is not the rightmost. With both hops
// as the source's trusted proxies, the chain (X-Forwarded-For) is walked from the right
// (lib/hops/trusted-proxies.ts walkTrustedHops) and each list read at the edge's value:
//  - a real DPoP client's good proof for https://api.test:<edge>/… reads ok (before: the load
//    balancer's http://lb.internal… was the URL, and the proof read bound_not_enforced/htu);
//  - a proof made for another host reads bound_not_enforced/htu;
//  - a client that sends its own X-Forwarded-Host (and a spoofed trusted X-Forwarded-For) to the
//    edge does not win: its proof for that host reads htu, its line is labelled, its client
//    address is its own (127.0.0.1), not an address it claimed;
//  - a client certificate the edge forwards (X-SSL-Client-Cert) and the load balancer passes on
//    is believed: its certificate-bound token reads ok, not spoofed_client_cert.
// Ingested through the service on PGlite and PostgreSQL. Skips without nginx, unless CI=true.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeJwkThumbprint } from '../../binding/jwk-thumbprint.ts';
import { ath, ecKey, makeProof, type TestKey } from '../../binding/testing/proofs.ts';
import { sha256B64url } from '../../credentials/fingerprint.ts';
import { parseTrustedProxies, type Cidr } from '../../hops/trusted-proxies.ts';
import { NGINX_AUTH_MAPS, NGINX_BACKEND_JSON_LOG_FORMAT } from '../../ingest/formats/nginx-json.ts';
import { FORWARDED_ORIGIN_LABEL } from '../../ingest/forwarded-origin.ts';
import { openParseStream } from '../../ingest/parse-stream.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, nginxMtlsListen, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import { ingestStream } from './index.ts';
import { setSourceTrustedProxies } from './queries.ts';
import { allEvents } from './testing/stored-events.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) console.warn('two-trusted-proxies-real.test.ts: skipped — nginx is needed; set CI=true to make this a failure');
const describeReal = NGINX || IN_CI ? describe : describe.skip;

type Case = 'good' | 'other-host' | 'forged' | 'mtls';
const EDGE = '127.0.0.2';
const LB = '127.0.0.3';

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** The proxy lines of a hop that appends to every forwarding header instead of replacing it. */
const appending = (bind: string, host: string, port: number) => `      proxy_bind ${bind};
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto "$http_x_forwarded_proto, $scheme";
      proxy_set_header X-Forwarded-Host "$http_x_forwarded_host, $http_host";
      proxy_set_header Host ${host}:${port};
      proxy_pass http://127.0.0.1:${port};`;

describeReal('two trusted proxies in a row (TLS edge → internal load balancer → backend)', () => {
  let pki: GatewayPki;
  let owner: TestKey;
  let log = '';
  let stored = new Map<'pglite' | 'postgres', { verdicts: Record<string, string>; clients: Record<string, string | null>; warnings: string[] } | null>();
  const byFingerprint = new Map<string, Case>();
  const port = { edge: 0, lb: 0, backend: 0 };
  const tokenOf = (c: Case) => {
    const cnf = c === 'mtls' ? { 'x5t#S256': pki.clients.good.x5t } : { jkt: computeJwkThumbprint(owner.publicJwk) };
    return `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-chain', client_id: 'svc-chain', jti: c, exp: 4_000_000_000, cnf })}.c2lnLW5vdC1yZWFs`;
  };

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-two-proxies-');
    owner = ecKey();
    [port.edge, port.lb, port.backend] = [await freePort(), await freePort(), await freePort()];
    for (const d of ['edge', 'lb', 'backend']) mkdirSync(join(pki.dir, d));

    const edge = await startNginx(NGINX, join(pki.dir, 'edge'), 'edge', `server {
${nginxMtlsListen(pki, port.edge)}
    location / {
      proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert;
${appending(EDGE, 'lb.internal', port.lb)}
    }
  }`, [port.edge]);
    const lb = await startNginx(NGINX, join(pki.dir, 'lb'), 'lb', `server {
    listen 127.0.0.1:${port.lb};
    location / {
${appending(LB, 'backend.internal', port.backend)}
    }
  }`, [port.lb]);
    const logFile = join(pki.dir, 'backend', 'access.log');
    // The recommended backend format, with the token (hashed on read) and the proof: this test checks proofs at the backend.
    const format = NGINX_BACKEND_JSON_LOG_FORMAT.replace(/}';$/, `,"http_authorization":"$http_authorization","http_dpop":"$http_dpop"}';`);
    expect(format).not.toBe(NGINX_BACKEND_JSON_LOG_FORMAT);
    const backend = await startNginx(NGINX, join(pki.dir, 'backend'), 'backend', `${NGINX_AUTH_MAPS}
  ${format}
  server { listen 127.0.0.1:${port.backend}; access_log ${logFile} holdfast_backend_json; location / { return 200 "ok\\n"; } }`, [port.backend]);
    try {
      const send = async (c: Case, o: { htu?: string; headers?: Record<string, string> } = {}) => {
        byFingerprint.set(sha256B64url(tokenOf(c)), c);
        const headers: Record<string, string> = c === 'mtls'
          ? { Authorization: `Bearer ${tokenOf(c)}` }
          : { Authorization: `DPoP ${tokenOf(c)}`, DPoP: makeProof(owner, { htm: 'GET', htu: o.htu ?? `https://api.test:${port.edge}/case/${c}`, ath: ath(tokenOf(c)) }) };
        const r = await tlsRequest(pki, { port: port.edge, path: `/case/${c}`, client: c === 'mtls' ? 'good' : null, headers: { ...headers, ...o.headers } });
        expect(r.status, c).toBe(200);
      };
      await send('good');
      await send('other-host', { htu: 'https://other.test/case/other-host' });
      // The client names the origin its proof was made for, and claims to come through the load balancer.
      await send('forged', { htu: 'https://evil.test/case/forged', headers: { 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': LB } });
      await send('mtls');
    } finally {
      await Promise.all([edge.stop(), lb.stop(), backend.stop()]);
    }
    log = readFileSync(logFile, 'utf8');

    stored = await onEachRuntime(async (t) => {
      await setSourceTrustedProxies(t.db, { source: 'backend', trustedProxies: [EDGE, LB], actor: 'test' });
      const s = await ingestStream(t.db, [log], { format: 'nginx-json', sourceName: 'backend', actor: 'test' });
      expect(s, JSON.stringify(s.errors)).toMatchObject({ accepted: 4, rejected: 0 });
      const verdicts: Record<string, string> = {};
      const clients: Record<string, string | null> = {};
      for (const e of await allEvents(t.db)) {
        const c = byFingerprint.get(e.tokenFingerprint ?? '') ?? `unknown:${e.url}`;
        verdicts[c] = `${e.verdict}/${e.reason ?? '-'}`;
        // Ok requests are narrow ledger rows without the address; the others keep it.
        if (e.verdict !== 'ok') clients[c] = e.clientIp;
      }
      return { verdicts, clients, warnings: (s.warnings ?? []).filter((w) => /forwarding headers|forwarded cert/.test(w)) };
    });
  }, 180_000);

  afterAll(() => pki?.cleanup());

  const lines = () => log.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  const lineOf = (c: Case) => lines().find((l) => l.uri === `/case/${c}`)!;

  it('the backend logged one value per proxy in each list, the load balancer as its TCP peer, the edge\'s certificate header', () => {
    expect(lineOf('good')).toMatchObject({
      realip_remote_addr: LB, http_x_forwarded_for: `127.0.0.1, ${EDGE}`,
      http_x_forwarded_proto: ', https, http', http_x_forwarded_host: `, api.test:${port.edge}, lb.internal:${port.lb}`,
    });
    expect(lineOf('forged')).toMatchObject({ http_x_forwarded_for: `${LB}, 127.0.0.1, ${EDGE}`, http_x_forwarded_host: `evil.test, api.test:${port.edge}, lb.internal:${port.lb}` });
    expect(lineOf('mtls').http_x_ssl_client_cert).toMatch(/BEGIN%20CERTIFICATE/);
  });

  it.each(RUNTIMES)('%s: proofs are judged against the URL the client called at the edge; the forged host and the spoofed address do not win', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.verdicts).toEqual({ good: 'ok/-', 'other-host': 'bound_not_enforced/htu', forged: 'bound_not_enforced/htu', mtls: 'ok/-' });
    expect(s.clients).toEqual({ 'other-host': '127.0.0.1', forged: '127.0.0.1' });
    expect(s.warnings).toEqual([
      `1 line carried forwarding headers with more values than their trusted proxies add (first: X-Forwarded-Proto, X-Forwarded-Host held more values than the 2 trusted proxies in a row (${LB}, ${EDGE}) add; the ones on the left may be the client's own): ` +
        "the value the outermost trusted proxy added gave the URL, not a client's value on its left; an edge should replace these headers, not append to them (gateway configs on the Ingest page).",
    ]);
  });

  const parsed = async (text: string, trusted: readonly string[]) => {
    const cidrs = (parseTrustedProxies([...trusted]) as { cidrs: Cidr[] }).cidrs;
    const got: Record<string, { url: string | null; client: string | null; label: string | null }> = {};
    const { results } = await openParseStream([text], { format: 'nginx-json', trustedProxies: () => cidrs });
    for await (const r of results) {
      if (r.result.kind !== 'event') throw new Error(`line ${r.lineNo}: ${JSON.stringify(r.result)}`);
      const e = r.result.event;
      got[/\/case\/([\w-]+)/.exec(e.url ?? '')?.[1] ?? '?'] = { url: e.url, client: e.clientIp, label: e.labels?.[FORWARDED_ORIGIN_LABEL] ?? null };
    }
    return got;
  };

  it('as parsed with both hops trusted: the edge\'s URL and the client\'s own address on every line; only the forged line is labelled', async () => {
    const got = await parsed(log, [EDGE, LB]);
    const edgeUrl = (c: Case) => `https://api.test:${port.edge}/case/${c}`;
    expect(got.good).toEqual({ url: edgeUrl('good'), client: '127.0.0.1', label: null });
    expect(got.mtls).toEqual({ url: edgeUrl('mtls'), client: '127.0.0.1', label: null });
    expect(got.forged).toMatchObject({ url: edgeUrl('forged'), client: '127.0.0.1' });
    expect(got.forged!.label).toMatch(/^outermost trusted value used: X-Forwarded-Proto, X-Forwarded-Host held more values than the 2 trusted proxies in a row \(127\.0\.0\.3, 127\.0\.0\.2\) add/);
  });

  it('with only the load balancer trusted, the edge is a client: the load balancer\'s own URL stands (list both hops)', async () => {
    const got = await parsed(log, [LB]);
    expect(got.good).toEqual({ url: `http://lb.internal:${port.lb}/case/good`, client: EDGE, label: expect.stringMatching(/^outermost trusted value used: .* the trusted proxy 127\.0\.0\.3 adds/) });
  });

  it('a backend that does not log X-Forwarded-For counts its TCP peer only, as before, and says so', async () => {
    const unlogged = lines().map(({ http_x_forwarded_for: _xff, ...l }) => JSON.stringify(l)).join('\n');
    const got = await parsed(unlogged, [EDGE, LB]);
    expect(got.good).toMatchObject({ url: `http://lb.internal:${port.lb}/case/good`, client: LB });
    expect(Object.values(got).every((g) => /X-Forwarded-For is not logged: only the TCP peer was counted as a trusted proxy\)$/.test(g.label ?? ''))).toBe(true);
  });
});
