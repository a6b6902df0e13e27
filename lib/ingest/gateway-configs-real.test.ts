// The recommended gateway configurations (gateway-configs.ts, shown on the Ingest page) run
// verbatim on the real gateways: the configuration is accepted, requests are logged, the lines
// parse with Holdfast's parser for that format, the fingerprints equal values computed here
// independently (openssl and coreutils), and no raw token or proof is in the log file.
// Skips when a gateway is not installed, unless CI=true (then it must run).
import { execSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { hopVerdict } from '../hops/hop-verdict.ts';
import { caddyTestGlobals, findCaddy, startCaddy } from '../testing/caddy.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../testing/gateway-pki.ts';
import { startNginx } from '../testing/nginx-launch.ts';
import { findNginx, freePort } from '../testing/processes.ts';
import { caddySite, NGINX_NJS_LOAD_MODULE, NGINX_NJS_MODULE, nginxNjsHttpConfig } from './gateway-configs.ts';
import { openParseStream } from './parse-stream.ts';
import type { FormatName } from './types.ts';

const IN_CI = process.env.CI === 'true';
const NGINX = findNginx();
const CADDY = findCaddy();
for (const [name, bin] of [['nginx', NGINX], ['caddy', CADDY]] as const) {
  if (!bin && !IN_CI) console.warn(`gateway-configs-real.test.ts: ${name} part skipped — not installed; set CI=true to make this a failure`);
}

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** base64url(SHA-256(value)) by coreutils and openssl, not by Node or the gateway. */
const sha256ByShell = (value: string) =>
  execSync(`printf %s '${value}' | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`, { encoding: 'utf8' }).trim();

async function parseFile(file: string, format: FormatName): Promise<NormalizedEvent[]> {
  const { results } = await openParseStream(createReadStream(file), { format });
  const out: NormalizedEvent[] = [];
  for await (const r of results) {
    if (r.result.kind !== 'event') throw new Error(`${file} line ${r.lineNo}: ${JSON.stringify(r.result)}`);
    out.push(r.result.event);
  }
  return out;
}

let pki: GatewayPki;
beforeAll(() => {
  pki = createGatewayPki('holdfast-configs-');
});
afterAll(() => pki?.cleanup());

(NGINX || IN_CI ? describe : describe.skip)('NGINX with njs: token SHA-256, claims, cnf and x5t#S256 computed in NGINX', () => {
  const mtlsToken = () => `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ client_id: 'svc-a', sub: 'svc-a', exp: 4102444800, cnf: { 'x5t#S256': pki.clients.good.x5t } })}.c2lnLW10bHM`;
  const dpopToken = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ client_id: 'agent-7', sub: 'agent-7', cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } })}.c2lnLWRwb3A`;
  const proof = `${b64u({ typ: 'dpop+jwt', alg: 'ES256' })}.${b64u({ htm: 'GET', htu: 'https://api.test/dpop', jti: 'p-1', iat: 1 })}.cHJvb2Ytc2ln`;
  const opaque = 'opq_Sup3rS3cretNginxTokenValue_91';
  let lines: NormalizedEvent[] = [];
  let file = '';
  const byPath = (p: string) => lines.find((e) => e.url?.endsWith(p))!;

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    const njs = join(pki.dir, 'holdfast.js');
    writeFileSync(njs, NGINX_NJS_MODULE);
    const port = await freePort();
    file = join(pki.dir, 'nginx-njs.json');
    const nginx = await startNginx(NGINX, pki.dir, 'njs', `${nginxNjsHttpConfig({ njsPath: njs })}
server {
  listen 127.0.0.1:${port} ssl;
  ssl_certificate ${pki.serverCertPath};
  ssl_certificate_key ${pki.serverKeyPath};
  ssl_client_certificate ${pki.caPath};
  ssl_crl ${pki.crlPath};
  ssl_verify_client optional;
  ssl_session_cache off;
  ssl_session_tickets off;
  access_log ${file} holdfast_njs_json;
  location / { return 200 "ok\\n"; }
}`, [port], NGINX_NJS_LOAD_MODULE);
    const results = [
      await tlsRequest(pki, { port, path: '/mtls', client: 'good', headers: { Authorization: `Bearer ${mtlsToken()}` } }),
      await tlsRequest(pki, { port, path: '/dpop', client: null, headers: { Authorization: `DPoP ${dpopToken}`, DPoP: proof } }),
      await tlsRequest(pki, { port, path: '/opaque', client: 'other', headers: { Authorization: `Bearer ${opaque}` } }),
      await tlsRequest(pki, { port, path: '/none', client: null }),
    ];
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await nginx.stop();
    lines = await parseFile(file, 'nginx-json');
  }, 60_000);

  it('logs one line per request, parsed by nginx-json', () => {
    expect(lines.map((e) => e.url?.replace(/^.*\//, '/'))).toEqual(['/mtls', '/dpop', '/opaque', '/none']);
  });

  it("token fingerprints equal base64url(SHA-256) computed by openssl", () => {
    expect(byPath('/mtls').tokenFingerprint).toBe(sha256ByShell(mtlsToken()));
    expect(byPath('/dpop').tokenFingerprint).toBe(sha256ByShell(dpopToken));
    expect(byPath('/opaque').tokenFingerprint).toBe(sha256ByShell(opaque));
    expect(byPath('/none').tokenFingerprint).toBeNull();
  });

  it("the certificate's x5t#S256 equals the openssl pipeline's; none without a certificate", () => {
    expect(byPath('/mtls').cert?.x5tS256).toBe(pki.clients.good.x5t);
    expect(byPath('/opaque').cert?.x5tS256).toBe(pki.clients.other.x5t);
    expect(byPath('/dpop').cert).toMatchObject({ verify: 'NONE', x5tS256: null });
  });

  it('the cnf thumbprints and claims come through; the binding verdict follows from them alone', async () => {
    expect(byPath('/mtls').tokenClaims).toEqual({ client_id: 'svc-a', sub: 'svc-a', exp: 4102444800, cnf: { 'x5t#S256': pki.clients.good.x5t } });
    expect(byPath('/dpop').tokenClaims).toEqual({ client_id: 'agent-7', sub: 'agent-7', cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } });
    expect(byPath('/opaque').tokenClaims).toBeNull();
    expect(byPath('/dpop').hasDpop).toBe(true);
    expect((await hopVerdict(byPath('/mtls'), null)).verdict).toBe('ok');
  });

  it('the log file holds no token, no proof and no Authorization value', () => {
    const text = readFileSync(file, 'utf8');
    for (const secret of [mtlsToken(), dpopToken, proof, opaque, mtlsToken().split('.')[1]!, dpopToken.split('.')[1]!, proof.split('.')[1]!]) expect(text).not.toContain(secret);
  });
});

(CADDY || IN_CI ? describe : describe.skip)('Caddy: the recommended site', () => {
  const token = `${b64u({ alg: 'ES256' })}.${b64u({ client_id: 'svc-a', cnf: { 'x5t#S256': 'x' } })}.c2lnLWNhZGR5`;
  let lines: NormalizedEvent[] = [];
  let file = '';
  let backendSaw = '';
  let backendSawWithoutCert = '';

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed');
    const [port, upstream] = [await freePort(), await freePort()];
    file = join(pki.dir, 'caddy-site.json');
    const site = caddySite({ address: `https://api.test:${port}`, certFile: pki.serverCertPath, keyFile: pki.serverKeyPath, caFile: pki.caPath, logFile: file, upstream: `127.0.0.1:${upstream}` });
    const app = `http://:${upstream} {\n  respond "cert={http.request.header.Client-Cert} id={http.request.header.X-Request-ID}"\n}\n`;
    const caddy = await startCaddy(CADDY, pki.dir, `${caddyTestGlobals(pki.dir)}${site}${app}`, [port, upstream]);
    const res = await tlsRequest(pki, { port, path: '/with-cert', client: 'good', headers: { Authorization: `Bearer ${token}`, 'Client-Cert': ':Zm9yZ2Vk:', 'X-Request-ID': 'client-chosen' } });
    backendSaw = res.body;
    expect(res.status).toBe(200);
    const noCert = await tlsRequest(pki, { port, path: '/no-cert', client: null, headers: { 'Client-Cert': ':Zm9yZ2Vk:' } });
    expect(noCert.status).toBe(200);
    backendSawWithoutCert = noCert.body;
    await caddy.stop();
    lines = await parseFile(file, 'caddy');
  }, 60_000);

  it('logs each request; x5t#S256 (from the echoed SHA-256), CN and hex serial parse from the line', () => {
    expect(lines).toHaveLength(2);
    const e = lines[0]!;
    expect(e.cert).toMatchObject({ x5tS256: pki.clients.good.x5t, subjectDn: 'CN=svc-a', serial: pki.clients.good.serialHex });
    expect(lines[1]!.cert).toMatchObject({ verify: 'NONE', x5tS256: null });
  });

  it("the backend got the certificate from the TLS session, not the client's forged copy, and the edge's own request id", () => {
    const [, cert, id] = /^cert=(\S*) id=(\S*)$/.exec(backendSaw)!;
    expect(cert).toBe(`:${pki.clients.good.derB64}:`);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[0]!.correlationId).toBe(id);
    // Without a client certificate the forged copy is removed, not passed on.
    expect(backendSawWithoutCert).toMatch(/^cert= id=[0-9a-f-]{36}$/);
  });

  it('the log holds no token (Caddy redacts Authorization)', () => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[1]);
    expect(lines[0]!.labels).toMatchObject({ authorization: 'redacted by caddy' });
  });
});
