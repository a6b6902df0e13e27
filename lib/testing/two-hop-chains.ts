// Test-only: real two-hop chains, as lib/hops/chains-real.test.ts drives them, packaged so other
// tests can ingest the logs — with the hops logging the token's facts (njs), as Holdfast needs them
// to judge the binding at the backend from the logs alone. An mTLS edge (HAProxy, NGINX, Caddy) in front of an NGINX backend that
// checks the certificate binding against the Client-Cert it receives. Each edge has three routes:
// `fwd` forwards Client-Cert as recommended (verbatim: set from the TLS session, a client's copy
// removed), `strip` sends none, `pass` passes a client-supplied Client-Cert through (Envoy #6038,
// Keycloak #35861). Clients: the owner, a thief with the owner's token and a forged Client-Cert (own
// certificate or none), and a bearer client. Both hops log X-Request-ID propagated by the edge.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Verdict } from '../domain/types.ts';
import type { ChainReason } from '../hops/index.ts';
import {
  caddySite, haproxyFrontend, NGINX_BACKEND_BINDING_CHECK, NGINX_BACKEND_NJS_LOG_FORMAT, NGINX_FORWARD_CLIENT_CERT, NGINX_NJS_LOAD_MODULE, NGINX_NJS_MODULE, nginxNjsHttpConfig,
} from '../ingest/gateway-configs.ts';
import { caddyTestGlobals, startCaddy, type CaddyProcess } from './caddy.ts';
import { createGatewayPki, nginxMtlsListen, tlsRequest, type ClientName, type GatewayPki } from './gateway-pki.ts';
import { HAPROXY_TEST_HEAD, startHaproxy, type HaproxyProcess } from './haproxy-launch.ts';
import { startNginx, type NginxProcess } from './nginx-launch.ts';
import { freePorts } from './processes.ts';

/** Forwarding headers every client sends on the `fwd` route: a recommended edge replaces them (gateway-configs.ts FORWARD_ORIGIN). */
export const FORGED_ORIGIN_HEADERS: Readonly<Record<string, string>> = {
  Forwarded: 'proto=http;host=evil.test', 'X-Forwarded-Proto': 'http', 'X-Forwarded-Host': 'evil.test', 'X-Forwarded-Port': '1',
  // A spoofed client address behind a spoofed proxy: the edge sets X-Forwarded-For to the client's alone.
  'X-Forwarded-For': '198.51.100.7, 127.0.0.1',
};

export type ChainRoute = 'fwd' | 'strip' | 'pass';
export type ChainEdge = 'haproxy' | 'nginx' | 'caddy';
export const CHAIN_EDGES: readonly ChainEdge[] = ['haproxy', 'nginx', 'caddy'];
export const CHAIN_ROUTES: readonly ChainRoute[] = ['fwd', 'strip', 'pass'];

export interface ChainScenario {
  id: string;
  /** The certificate presented in the TLS handshake with the edge. */
  client: ClientName | null;
  /** The token is bound to good's certificate (svc-a), or is a plain bearer token. */
  bound: boolean;
  /** A Client-Cert header the client adds itself: good's certificate, copied (certificates are public). */
  forged: boolean;
}

export const CHAIN_SCENARIOS: readonly ChainScenario[] = [
  { id: 'owner', client: 'good', bound: true, forged: false },
  { id: 'thief-own-cert', client: 'other', bound: true, forged: true },
  { id: 'thief-no-cert', client: null, bound: true, forged: true },
  { id: 'bearer', client: null, bound: false, forged: false },
];

export interface ChainExpectation {
  status: number;
  chain: Verdict;
  reason: ChainReason;
  /** Whether the edge is named as the hop that lost or passed the wrong certificate. */
  edgeLeaks: boolean;
  /** The chain where the edge's log names no token (the Caddy edge), when that changes it. */
  withoutTokenAtEdge?: Verdict;
}

/** What each scenario's chain must come to, per route: the configuration, not the product, decides. */
export const CHAIN_EXPECTED: Record<string, Record<ChainRoute, ChainExpectation>> = {
  owner: {
    fwd: { status: 200, chain: 'ok', reason: 'forwarded_intact', edgeLeaks: false },
    strip: { status: 401, chain: 'binding_context_stripped', reason: 'certificate_stripped', edgeLeaks: true },
    pass: { status: 401, chain: 'binding_context_stripped', reason: 'certificate_stripped', edgeLeaks: true },
  },
  'thief-own-cert': {
    fwd: { status: 401, chain: 'binding_mismatch', reason: 'forwarded_intact', edgeLeaks: false },
    // The edge compared the thief's certificate with the token's cnf: a theft attempt, whatever was
    // lost behind it. The Caddy edge logs no token, so its line cannot show the mismatch.
    strip: { status: 401, chain: 'binding_mismatch', reason: 'certificate_stripped', edgeLeaks: true, withoutTokenAtEdge: 'binding_context_stripped' },
    // The attack works: the backend sees the owner's certificate and accepts the stolen token.
    pass: { status: 200, chain: 'spoofed_client_cert', reason: 'certificate_replaced', edgeLeaks: true },
  },
  'thief-no-cert': {
    fwd: { status: 401, chain: 'no_proof_for_bound_token', reason: 'no_client_certificate', edgeLeaks: false },
    strip: { status: 401, chain: 'no_proof_for_bound_token', reason: 'no_client_certificate', edgeLeaks: false },
    pass: { status: 200, chain: 'spoofed_client_cert', reason: 'certificate_injected', edgeLeaks: true },
  },
  bearer: {
    fwd: { status: 200, chain: 'bearer_unbound', reason: 'no_client_certificate', edgeLeaks: false },
    strip: { status: 200, chain: 'bearer_unbound', reason: 'no_client_certificate', edgeLeaks: false },
    pass: { status: 200, chain: 'bearer_unbound', reason: 'no_client_certificate', edgeLeaks: false },
  },
};

/** The chain a case must come to: the edge that logs no token (Caddy) cannot show a theft attempt at its hop. */
export function chainExpected(edge: ChainEdge, route: ChainRoute, s: ChainScenario): Verdict {
  const want = CHAIN_EXPECTED[s.id]![route];
  return edge === 'caddy' ? (want.withoutTokenAtEdge ?? want.chain) : want.chain;
}

export const chainCaseName = (edge: ChainEdge, route: ChainRoute, s: ChainScenario) => `${edge}-${route}-${s.id}`;

/** The scenario a logged line belongs to: its path ends with the case name. */
export function chainScenarioOfUrl(url: string | null): ChainScenario | undefined {
  return CHAIN_SCENARIOS.find((s) => (url ?? '').replace(/[?#].*$/, '').endsWith(`-${s.id}`));
}

export interface TwoHopChainRun {
  pki: GatewayPki;
  dir: string;
  /** HTTP status each case's client saw. */
  statuses: Map<string, number>;
  /** Raw tokens sent (to check that none reaches storage or output). */
  tokens: string[];
  logs: {
    backend: string;
    nginxEdge: string;
    /** One access log per Caddy site (route). */
    caddyEdge: string[];
    /** HAProxy's stdout, read with the `haproxy` format, this configuration and frontend `holdfast_edge`. */
    haproxyEdge: string;
  };
  haproxyConfig: string;
  /** The token facts each scenario's token carries (cnf of good's certificate, or bearer). */
  tokenFacts(s: ChainScenario): { binding: 'mtls'; cnfX5tS256: string } | { binding: 'bearer' };
  cleanup(): void;
}

/** Resolves once `file` holds at least `want` complete non-empty lines; throws after `timeoutMs`. */
async function waitForLogLines(file: string, want: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    const lines = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter((l) => l.trim()).length;
    if (lines >= want) return;
    if (Date.now() > deadline) throw new Error(`${file}: ${lines} complete log lines after ${timeoutMs} ms, expected ${want}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');


/**
 * The chains' backend: plain HTTP NGINX that trusts the edge's Client-Cert and refuses (401) a bound
 * token whose certificate is not the forwarded one, logging the recommended backend format to
 * `dir/backend.json`.
 */
export function startChainBackend(nginxBin: string, dir: string, port: number, njsPath: string): Promise<NginxProcess> {
  return startNginx(nginxBin, dir, 'backend', `${nginxNjsHttpConfig({ njsPath })}
${NGINX_BACKEND_NJS_LOG_FORMAT}
${NGINX_BACKEND_BINDING_CHECK}
server {
  listen 127.0.0.1:${port};
  access_log ${dir}/backend.json holdfast_backend_json;
  location / {
    if ($holdfast_binding_ok = 0) { return 401 "binding\\n"; }
    return 200 "ok\\n";
  }
}`, [port], NGINX_NJS_LOAD_MODULE);
}

/**
 * Starts the backend and the three edges, sends every edge × route × scenario once, stops the
 * gateways (their logs flushed) and returns where the logs are. Needs nginx with njs, caddy, haproxy.
 */
export async function runTwoHopChains(bins: { nginx: string; caddy: string; haproxy: string }, prefix = 'holdfast-chains-'): Promise<TwoHopChainRun> {
  const pki = createGatewayPki(prefix);
  const dir = join(pki.dir, 'gw');
  mkdirSync(dir);
  const procs: Array<NginxProcess | CaddyProcess | HaproxyProcess> = [];
  const [backend, nginxEdge, caddyFwd, caddyStrip, caddyPass, haproxyFwd, haproxyStrip, haproxyPass] = await freePorts(8);
  const ports = {
    backend: backend!, nginxEdge: nginxEdge!,
    caddy: { fwd: caddyFwd!, strip: caddyStrip!, pass: caddyPass! } as Record<ChainRoute, number>,
    haproxy: { fwd: haproxyFwd!, strip: haproxyStrip!, pass: haproxyPass! } as Record<ChainRoute, number>,
  };
  const njs = join(dir, 'holdfast.js');
  writeFileSync(njs, NGINX_NJS_MODULE);
  const upstream = `127.0.0.1:${ports.backend}`;
  const statuses = new Map<string, number>();
  const tokens: string[] = [];
  let haproxyConfig = '';
  let haproxyLog = '';
  try {
    procs.push(await startChainBackend(bins.nginx, dir, ports.backend, njs));

    const proxy = `proxy_pass http://${upstream}; proxy_http_version 1.1;`;
    // The NGINX edge logs the recommended njs format (the certificate's x5t#S256 and the token's facts).
    procs.push(await startNginx(bins.nginx, dir, 'edge', `${nginxNjsHttpConfig({ njsPath: njs })}
server {
${nginxMtlsListen(pki, ports.nginxEdge)}
  access_log ${dir}/nginx-edge.json holdfast_njs_json;
  location /fwd/ {
${NGINX_FORWARD_CLIENT_CERT}
    ${proxy}
  }
  location /strip/ {
    proxy_set_header Client-Cert "";
    proxy_set_header X-Request-ID $holdfast_correlation_id;
    ${proxy}
  }
  location /pass/ {
    proxy_set_header X-Request-ID $holdfast_correlation_id;
    ${proxy}
  }
}`, [ports.nginxEdge], NGINX_NJS_LOAD_MODULE));

    // Caddy: the recommended site verbatim for fwd; strip and pass without the line that sets
    // Client-Cert, and pass without the line that removes the client's copy as well.
    const site = (r: ChainRoute) => caddySite({
      address: `https://api.test:${ports.caddy[r]}`, certFile: pki.serverCertPath, keyFile: pki.serverKeyPath, caFile: pki.caPath,
      logFile: `${dir}/caddy-edge-${r}.json`, upstream,
    });
    const setLine = /^ *request_header @hascert Client-Cert .*\n/m;
    const removeLine = /^ *request_header -Client-Cert\n/m;
    if (!setLine.test(site('fwd')) || !removeLine.test(site('fwd'))) throw new Error('the recommended Caddy site changed: no Client-Cert set/remove line to vary');
    const caddyfile = `${caddyTestGlobals(dir)}${site('fwd')}${site('strip').replace(setLine, '')}${site('pass').replace(setLine, '').replace(removeLine, '')}`;
    procs.push(await startCaddy(bins.caddy, dir, caddyfile, CHAIN_ROUTES.map((r) => ports.caddy[r])));

    // HAProxy: the recommended frontend verbatim for fwd; strip and pass as for Caddy.
    const pem = join(dir, 'server-haproxy.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const frontend = (r: ChainRoute) => haproxyFrontend({ bind: `127.0.0.1:${ports.haproxy[r]}`, crtFile: pem, caFile: pki.caPath, crlFile: pki.crlPath, logTarget: 'stdout', backend: 'backend_nginx' });
    const setHeader = /^ *http-request set-header Client-Cert .*\n/m;
    const delHeader = /^ *http-request del-header Client-Cert\n/m;
    if (!setHeader.test(frontend('fwd')) || !delHeader.test(frontend('fwd'))) throw new Error('the recommended HAProxy frontend changed: no Client-Cert set/del line to vary');
    haproxyConfig = `${HAPROXY_TEST_HEAD}${frontend('fwd')}${frontend('strip').replace('frontend holdfast_edge', 'frontend edge_strip').replace(setHeader, '')}${frontend('pass')
      .replace('frontend holdfast_edge', 'frontend edge_pass').replace(setHeader, '').replace(delHeader, '')}backend backend_nginx\n  server backend ${upstream}\n`;
    const haproxy = await startHaproxy(bins.haproxy, dir, 'haproxy-edge', haproxyConfig, CHAIN_ROUTES.map((r) => ports.haproxy[r]));
    haproxyLog = haproxy.logFile;
    procs.push(haproxy);

    for (const edge of CHAIN_EDGES) {
      for (const route of CHAIN_ROUTES) {
        for (const s of CHAIN_SCENARIOS) {
          const name = chainCaseName(edge, route, s);
          const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', jti: name, ...(s.bound ? { cnf: { 'x5t#S256': pki.clients.good.x5t } } : {}) })}.c2lnLW5vdC1yZWFs`;
          tokens.push(token);
          const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
          if (s.forged) headers['Client-Cert'] = `:${pki.clients.good.derB64}:`;
          // On the recommended route every client also claims another origin: the edge must replace it.
          if (route === 'fwd') Object.assign(headers, FORGED_ORIGIN_HEADERS);
          const port = edge === 'nginx' ? ports.nginxEdge : ports[edge][route];
          // One route (host + path prefix /<route>/orders) per edge and configuration, four clients on each.
          const res = await tlsRequest(pki, { port, path: `/${route}/orders/${name}`, client: s.client, headers });
          statuses.set(name, res.status);
        }
      }
    }
  } finally {
    // Stopped before the logs are read: every gateway flushes its log on a graceful stop.
    for (const p of procs.splice(0).reverse()) await p.stop();
  }
  // Every request reached its edge, so each edge's log ends up with one line per request. Seen
  // under CI load: a Caddy log read right after the stop held 1 of its 4 lines (the same file,
  // read again seconds later by the server, held all 4). Wait for whole logs rather than hand a
  // caller a partial one.
  await waitForLogLines(join(dir, 'nginx-edge.json'), CHAIN_ROUTES.length * CHAIN_SCENARIOS.length);
  for (const r of CHAIN_ROUTES) await waitForLogLines(join(dir, `caddy-edge-${r}.json`), CHAIN_SCENARIOS.length);
  return {
    pki, dir, statuses, tokens, haproxyConfig,
    logs: {
      backend: join(dir, 'backend.json'), nginxEdge: join(dir, 'nginx-edge.json'),
      caddyEdge: CHAIN_ROUTES.map((r) => join(dir, `caddy-edge-${r}.json`)), haproxyEdge: haproxyLog,
    },
    tokenFacts: (s) => (s.bound ? { binding: 'mtls', cnfX5tS256: pki.clients.good.x5t } : { binding: 'bearer' }),
    cleanup: () => pki.cleanup(),
  };
}
