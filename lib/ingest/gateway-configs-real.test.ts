// The recommended gateway configurations (gateway-configs.ts, shown on the Ingest page) run
// verbatim on the real gateways: the configuration is accepted, requests are logged, the lines
// parse with Holdfast's parser for that format, the fingerprints equal values computed here
// independently (openssl and coreutils), and no raw token or proof is in the log file.
// Skips when a gateway is not installed, unless CI=true (then it must run).
import { execSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { hopVerdict } from '../hops/hop-verdict.ts';
import { findApache, startRecommendedApache } from '../testing/apache-launch.ts';
import { caddyTestGlobals, findCaddy, startCaddy } from '../testing/caddy.ts';
import { createGatewayPki, nginxMtlsListen, tlsRequest, type GatewayPki } from '../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../testing/haproxy-launch.ts';
import { startNginx } from '../testing/nginx-launch.ts';
import { findNginx, freePort } from '../testing/processes.ts';
import { caddySite, CLIENT_CERT_HEADERS, haproxyFrontend, NGINX_FORWARD_CLIENT_CERT, NGINX_NJS_LOAD_MODULE, NGINX_NJS_MODULE, nginxNjsHttpConfig } from './gateway-configs.ts';
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

async function parseFile(file: string, format: FormatName, gateway?: { gatewayConfig: string; logFormat: string }): Promise<NormalizedEvent[]> {
  const { results } = await openParseStream(createReadStream(file), { format, ...gateway });
  const out: NormalizedEvent[] = [];
  for await (const r of results) {
    // HAProxy's stdout also carries its own notices, which its format skips.
    if (r.result.kind === 'skip') continue;
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
  let forwarded = { noCert: '', otherCert: '' };

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    const njs = join(pki.dir, 'holdfast.js');
    writeFileSync(njs, NGINX_NJS_MODULE);
    const [port, upstream] = [await freePort(), await freePort()];
    file = join(pki.dir, 'nginx-njs.json');
    // /fwd proxies with NGINX_FORWARD_CLIENT_CERT to a backend that answers with the certificate headers it received.
    const echo = CLIENT_CERT_HEADERS.map((h) => `${h}=$http_${h.toLowerCase().replaceAll('-', '_')}`).join(' ');
    const nginx = await startNginx(NGINX, pki.dir, 'njs', `${nginxNjsHttpConfig({ njsPath: njs })}
server {
${nginxMtlsListen(pki, port)}
  access_log ${file} holdfast_njs_json;
  location / { return 200 "ok\\n"; }
  location /fwd {
    access_log off;
${NGINX_FORWARD_CLIENT_CERT}
    proxy_pass http://127.0.0.1:${upstream};
  }
}
server {
  listen 127.0.0.1:${upstream};
  access_log off;
  location / { return 200 "${echo}"; }
}`, [port, upstream], NGINX_NJS_LOAD_MODULE);
    const forged = Object.fromEntries(CLIENT_CERT_HEADERS.map((h) => [h, h === 'Client-Cert' ? `:${pki.clients.good.derB64}:` : pki.clients.good.derB64]));
    forwarded = {
      noCert: (await tlsRequest(pki, { port, path: '/fwd', client: null, headers: forged })).body,
      otherCert: (await tlsRequest(pki, { port, path: '/fwd', client: 'other', headers: forged })).body,
    };
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

  it("NGINX_FORWARD_CLIENT_CERT passes no certificate header the client wrote; Client-Cert is the TLS session's own", () => {
    const empty = CLIENT_CERT_HEADERS.map((h) => `${h}=`).join(' ');
    expect(forwarded.noCert).toBe(empty);
    expect(forwarded.otherCert).toBe(empty.replace('Client-Cert= ', `Client-Cert=:${pki.clients.other.derB64}: `));
  });

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

const HAPROXY = findHaproxy();
const APACHE = findApache();
for (const [name, bin] of [['haproxy', HAPROXY], ['apache2', APACHE]] as const) {
  if (!bin && !IN_CI) console.warn(`gateway-configs-real.test.ts: ${name} part skipped — not installed; set CI=true to make this a failure`);
}

/** `key=value` or `key="value"` from one raw log line (the recommended formats label every value). */
function field(line: string, key: string): string | null {
  const m = new RegExp(`(?:^| )${key.replace(/[.]/g, '\\.')}=("(?:[^"\\\\]|\\\\.)*"|\\S*)`).exec(line);
  if (!m) return null;
  const v = m[1]!.startsWith('"') ? m[1]!.slice(1, -1) : m[1]!;
  return v === '-' || v === '' ? null : v;
}

(HAPROXY || IN_CI ? describe : describe.skip)('HAProxy: the recommended frontend', () => {
  const token = () => `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ client_id: 'svc-a', sub: 'svc-a', exp: 4102444800, cnf: { 'x5t#S256': pki.clients.good.x5t } })}.c2lnLWhhcHJveHk`;
  const dpopToken = `${b64u({ alg: 'ES256' })}.${b64u({ client_id: 'agent-7', cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } })}.c2lnLWRwb3A`;
  const proof = `${b64u({ typ: 'dpop+jwt', alg: 'ES256' })}.${b64u({ htm: 'GET', jti: 'p-2' })}.cHJvb2Ytc2lnLTI`;
  let lines: string[] = [];
  let text = '';
  let parsed: NormalizedEvent[] = [];
  const statuses: Record<string, number> = {};
  const backendSaw: Record<string, string> = {};
  const lineOf = (path: string) => lines.find((l) => l.includes(` ${path} `))!;

  beforeAll(async () => {
    if (!HAPROXY) throw new Error('CI=true but haproxy is not installed');
    const port = await freePort();
    const pem = join(pki.dir, 'server-haproxy.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const frontend = haproxyFrontend({ bind: `127.0.0.1:${port}`, crtFile: pem, caFile: pki.caPath, crlFile: pki.crlPath, logTarget: 'stdout', backend: 'app' });
    // The backend answers with the certificate headers it received (the frontend's rules ran on the request).
    const echo = CLIENT_CERT_HEADERS.map((h) => `${h}=%[req.hdr(${h})]`).join(' ');
    const config = `${HAPROXY_TEST_HEAD}${frontend}backend app\n  http-request return status 200 content-type text/plain lf-string "${echo}"\n`;
    const haproxy = await startHaproxy(HAPROXY, pki.dir, 'haproxy-edge', config, [port]);
    const send = async (path: string, client: Parameters<typeof tlsRequest>[1]['client'], headers: Record<string, string> = {}) => {
      const res = await tlsRequest(pki, { port, path, client, headers });
      statuses[path] = res.status;
      backendSaw[path] = res.body;
    };
    await send('/good', 'good', { Authorization: `Bearer ${token()}` });
    await send('/dpop', null, { Authorization: `DPoP ${dpopToken}`, DPoP: proof });
    await send('/revoked', 'revoked', { Authorization: `Bearer ${token()}` });
    await send('/expired', 'expired');
    await send('/untrusted', 'untrusted');
    // A client with no certificate writes the owner's into every header some backend believes.
    const forged = Object.fromEntries(CLIENT_CERT_HEADERS.map((h) => [h, h === 'Client-Cert' ? `:${pki.clients.good.derB64}:` : pki.clients.good.derB64]));
    await send('/forged', null, { ...forged, 'X-Request-ID': 'client-id-1' });
    await send('/forged-with-cert', 'other', forged);
    await haproxy.stop();
    text = readFileSync(haproxy.logFile, 'utf8');
    // stdout also carries HAProxy's own notices ("Proxy holdfast_edge stopped …").
    lines = text.split('\n').filter((l) => l.startsWith('127.0.0.1 '));
    parsed = await parseFile(haproxy.logFile, 'haproxy', { gatewayConfig: config, logFormat: 'holdfast_edge' });
  }, 60_000);

  it('accepts good certificates, refuses revoked, expired and untrusted ones with 403 after logging them', () => {
    expect(statuses).toEqual({ '/good': 200, '/dpop': 200, '/revoked': 403, '/expired': 403, '/untrusted': 403, '/forged': 200, '/forged-with-cert': 200 });
    expect(lines).toHaveLength(7);
  });

  it("no certificate header the client wrote reaches the backend; Client-Cert is the TLS session's own", () => {
    const empty = CLIENT_CERT_HEADERS.map((h) => `${h}=`).join(' ');
    expect(backendSaw['/forged']).toBe(empty);
    expect(backendSaw['/forged-with-cert']).toBe(empty.replace('Client-Cert= ', `Client-Cert=:${pki.clients.other.derB64}: `));
    expect(backendSaw['/good']).toBe(empty.replace('Client-Cert= ', `Client-Cert=:${pki.clients.good.derB64}: `));
  });

  it("x5t#S256 by ssl_c_der,sha2(256),ub64enc equals the openssl pipeline's", () => {
    expect(field(lineOf('/good'), 'x5t')).toBe(pki.clients.good.x5t);
    expect(field(lineOf('/revoked'), 'x5t')).toBe(pki.clients.revoked.x5t);
    expect(field(lineOf('/dpop'), 'x5t')).toBeNull();
  });

  it('the error codes tell revoked (23), expired (10) and untrusted apart', () => {
    expect(field(lineOf('/revoked'), 'ssl_c_err')).toBe('23');
    expect(field(lineOf('/expired'), 'ssl_c_err')).toBe('10');
    expect(['18', '19', '20', '21']).toContain(field(lineOf('/untrusted'), 'ssl_c_err'));
  });

  it("the token's SHA-256 equals openssl's; claims and cnf thumbprints come from jwt_payload_query", () => {
    const good = lineOf('/good');
    expect(field(good, 'token_sha256')).toBe(sha256ByShell(token()));
    expect([field(good, 'scheme'), field(good, 'client_id'), field(good, 'sub'), field(good, 'exp'), field(good, 'cnf_x5t')]).toEqual(['Bearer', 'svc-a', 'svc-a', '4102444800', pki.clients.good.x5t]);
    // A refused request (revoked certificate) is logged with its token's facts: they are the evidence.
    expect(field(lineOf('/revoked'), 'token_sha256')).toBe(sha256ByShell(token()));
    const dpop = lineOf('/dpop');
    expect(field(dpop, 'token_sha256')).toBe(sha256ByShell(dpopToken));
    expect([field(dpop, 'scheme'), field(dpop, 'cnf_jkt'), field(dpop, 'has_dpop')]).toEqual(['DPoP', '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I', '1']);
  });

  it('the haproxy format, given this configuration, reads x5t#S256, verify outcomes and the request id from the lines', () => {
    const at = (p: string) => parsed.find((e) => e.url === p)!;
    expect(parsed).toHaveLength(7);
    expect(at('/good').cert).toMatchObject({ x5tS256: pki.clients.good.x5t, verify: 'SUCCESS', sha1Hex: pki.clients.good.sha1Hex });
    expect(at('/good').correlationId).toBe(field(lineOf('/good'), 'x_request_id'));
    expect(at('/revoked').sourceVerdict?.verdict).toBe('cert_revoked');
    expect(at('/expired').sourceVerdict?.verdict).toBe('cert_expired');
    expect(at('/untrusted').sourceVerdict?.verdict).toBe('cert_untrusted');
    expect(at('/dpop').cert?.verify).toBe('NONE');
    const out = JSON.stringify(parsed);
    for (const s of [token(), dpopToken, proof]) expect(out).not.toContain(s);
  });

  it('keeps a request id the client sent and makes one otherwise', () => {
    expect(field(lineOf('/forged'), 'x_request_id')).toBe('client-id-1');
    expect(field(lineOf('/good'), 'x_request_id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the log holds no token and no proof', () => {
    for (const s of [token(), dpopToken, proof, token().split('.')[1]!, dpopToken.split('.')[1]!, proof.split('.')[1]!]) expect(text).not.toContain(s);
  });
});

(APACHE || IN_CI ? describe : describe.skip)('Apache: the recommended mod_ssl log', () => {
  const token = `${b64u({ alg: 'ES256' })}.${b64u({ client_id: 'svc-a', cnf: { 'x5t#S256': 'x' } })}.c2lnLWFwYWNoZQ`;
  const proof = `${b64u({ typ: 'dpop+jwt', alg: 'ES256' })}.${b64u({ htm: 'GET', jti: 'p-3' })}.cHJvb2Ytc2lnLTM`;
  let lines: string[] = [];
  let text = '';
  let parsed: NormalizedEvent[] = [];

  beforeAll(async () => {
    if (!APACHE) throw new Error('CI=true but apache2 is not installed');
    const port = await freePort();
    const logFile = join(pki.dir, 'apache-holdfast.log');
    const apache = await startRecommendedApache(APACHE, { dir: pki.dir, port, cert: pki.serverCertPath, key: pki.serverKeyPath, ca: pki.caPath, logFile });
    expect((await tlsRequest(pki, { port, path: '/index.html', client: 'good', headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await tlsRequest(pki, { port, path: '/index.html?dpop', client: null, headers: { Authorization: `DPoP ${token}`, DPoP: proof, 'X-Request-ID': 'client-id-2' } })).status).toBe(200);
    await apache.stop();
    text = readFileSync(logFile, 'utf8');
    lines = text.split('\n').filter(Boolean);
    parsed = await parseFile(logFile, 'apache', { gatewayConfig: readFileSync(join(pki.dir, 'httpd.conf'), 'utf8'), logFormat: 'holdfast' });
  }, 60_000);

  it('logs the verify result, DNs, serial and the certificate; its x5t#S256 equals the openssl pipeline\'s', () => {
    expect(lines).toHaveLength(2);
    const good = lines[0]!;
    expect(good).toContain('"SUCCESS"');
    expect(good).toContain(` ${pki.clients.good.serialHex} `);
    const pem = /"(-----BEGIN CERTIFICATE-----[^"]*-----END CERTIFICATE-----)\\n"/.exec(good)![1]!.replace(/\\n/g, '\n');
    expect(createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url')).toBe(pki.clients.good.x5t);
  });

  it('the apache format, given this configuration, reads x5t#S256 from the logged PEM, the verify result, scheme, DPoP presence and request id', () => {
    expect(parsed).toHaveLength(2);
    expect(parsed[0]!.cert).toMatchObject({ x5tS256: pki.clients.good.x5t, verify: 'SUCCESS' });
    expect([parsed[0]!.authScheme, parsed[0]!.hasDpop]).toEqual(['Bearer', false]);
    expect([parsed[1]!.authScheme, parsed[1]!.hasDpop, parsed[1]!.correlationId]).toEqual(['DPoP', true, 'client-id-2']);
    expect(parsed[1]!.cert?.verify).toBe('NONE');
  });

  it('the Authorization scheme, DPoP presence, the token\'s claims without the token, a request id, and no token or proof', () => {
    const claims = token.split('.')[1]!;
    expect(lines[0]).toContain(` Bearer - ${claims} "`);
    expect(lines[1]).toMatch(new RegExp(` DPoP 1 ${claims} "-"$`));
    expect(lines[1]).toContain('"client-id-2"');
    expect(lines[0]).toMatch(/ ([A-Za-z0-9@_-]{20,}) "\1" /);
    // The payload segment alone is not a usable token (no header, no signature): never the token or the proof.
    for (const s of [token, `${token.split('.')[0]}.${claims}`, `${claims}.${token.split('.')[2]}`, proof, proof.split('.')[1]!]) expect(text).not.toContain(s);
    // Holdfast reads the claims (the binding is judged from cnf) and keeps none of the segment in the line it stores.
    expect(parsed[0]!.tokenClaims).toEqual({ client_id: 'svc-a', cnf: { 'x5t#S256': 'x' } });
    expect(parsed[0]!.tokenFingerprint).toBeNull();
    for (const e of parsed) expect(e.redactedRaw).not.toContain(claims);
  });
});
