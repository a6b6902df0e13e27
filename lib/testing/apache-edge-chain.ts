// Test-only: a real two-hop chain with Apache httpd as the TLS-terminating edge (gateway-configs.ts
// apacheEdge) in front of the NGINX backend of two-hop-chains.ts (its njs binding check and log
// format). The same routes and clients as two-hop-chains.ts: `fwd` is the recommended virtual host
// verbatim, `strip` lacks the lines that set Client-Cert, `pass` also lacks the one that removes the
// client's copy (a misconfigured edge, Envoy #6038). Every client on `fwd` also forges the
// forwarding headers (FORGED_ORIGIN_HEADERS): the recommended vhost must replace them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apacheEdge, NGINX_NJS_MODULE } from '../ingest/gateway-configs.ts';
import { startApache, type ApacheProcess } from './apache-launch.ts';
import { createGatewayPki, tlsRequest, type ClientName, type GatewayPki } from './gateway-pki.ts';
import type { NginxProcess } from './nginx-launch.ts';
import { freePorts } from './processes.ts';
import { CHAIN_ROUTES, CHAIN_SCENARIOS, FORGED_ORIGIN_HEADERS, startChainBackend, type ChainRoute, type ChainScenario } from './two-hop-chains.ts';

/** The case name of one route × client through the Apache edge (the request path ends with it). */
export const apacheCaseName = (route: ChainRoute, s: ChainScenario) => `apache-${route}-${s.id}`;

export interface ApacheEdgeChainRun {
  pki: GatewayPki;
  dir: string;
  /** The options the `fwd` route's recommended vhost was built with (this run's paths and ports). */
  fwdOptions: Parameters<typeof apacheEdge>[0];
  /** The whole httpd.conf (the `apache` format reads the LogFormat from it: --gateway-config). */
  apacheConfig: string;
  statuses: Map<string, number>;
  /** Certificates the handshake did not verify, sent to the fwd route: what each got (an HTTP status, or the handshake refused). */
  unverified: Map<ClientName, number | 'handshake refused'>;
  tokens: string[];
  logs: { backend: string; apacheEdge: string[] };
  tokenFacts(s: ChainScenario): { binding: 'mtls'; cnfX5tS256: string } | { binding: 'bearer' };
  cleanup(): void;
}

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** Starts the NGINX backend and the Apache edge (one vhost per route), sends every route × client once, stops both. */
export async function runApacheEdgeChain(bins: { nginx: string; apache: string }, prefix = 'holdfast-apache-edge-'): Promise<ApacheEdgeChainRun> {
  const pki = createGatewayPki(prefix);
  const dir = join(pki.dir, 'gw');
  mkdirSync(dir);
  const procs: Array<NginxProcess | ApacheProcess> = [];
  const [backend, fwd, strip, pass] = await freePorts(4);
  const ports = { backend: backend!, edge: { fwd: fwd!, strip: strip!, pass: pass! } as Record<ChainRoute, number> };
  const njs = join(dir, 'holdfast.js');
  writeFileSync(njs, NGINX_NJS_MODULE);
  const statuses = new Map<string, number>();
  const unverified = new Map<ClientName, number | 'handshake refused'>();
  const tokens: string[] = [];
  const options = (r: ChainRoute) => ({
    address: `127.0.0.1:${ports.edge[r]}`, serverName: 'api.test', certFile: pki.serverCertPath, keyFile: pki.serverKeyPath,
    caFile: pki.caPath, crlFile: pki.crlPath, logFile: join(dir, `apache-edge-${r}.log`), upstream: `127.0.0.1:${ports.backend}`,
  });
  let apacheConfig = '';
  try {
    // The backend of two-hop-chains.ts.
    procs.push(await startChainBackend(bins.nginx, dir, ports.backend, njs));

    const setLines = /^ *RequestHeader (set|edit\*?) Client-Cert .*\n/gm;
    const unsetLine = /^ *RequestHeader unset Client-Cert early\n/m;
    const fwd = apacheEdge(options('fwd'));
    if ((fwd.match(setLines) ?? []).length !== 3 || !unsetLine.test(fwd)) throw new Error('the recommended Apache vhost changed: no Client-Cert set/edit/unset lines to vary');
    const body = `${fwd}${apacheEdge(options('strip')).replace(setLines, '')}${apacheEdge(options('pass')).replace(setLines, '').replace(unsetLine, '')}`;
    const apache = await startApache(bins.apache, dir, body, CHAIN_ROUTES.map((r) => ports.edge[r]));
    procs.push(apache);
    apacheConfig = readFileSync(join(dir, 'httpd.conf'), 'utf8');

    for (const route of CHAIN_ROUTES) {
      for (const s of CHAIN_SCENARIOS) {
        const name = apacheCaseName(route, s);
        const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', jti: name, ...(s.bound ? { cnf: { 'x5t#S256': pki.clients.good.x5t } } : {}) })}.c2lnLW5vdC1yZWFs`;
        tokens.push(token);
        const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
        if (s.forged) headers['Client-Cert'] = `:${pki.clients.good.derB64}:`;
        if (route === 'fwd') Object.assign(headers, FORGED_ORIGIN_HEADERS);
        const res = await tlsRequest(pki, { port: ports.edge[route], path: `/${route}/orders/${name}`, client: s.client, headers });
        statuses.set(name, res.status);
      }
    }
    // Revoked, expired and another CA's certificates, each with a token bound to it: none may reach the backend.
    for (const client of ['revoked', 'expired', 'untrusted'] as const) {
      const token = `${b64u({ alg: 'ES256' })}.${b64u({ sub: client, cnf: { 'x5t#S256': pki.clients[client].x5t } })}.c2lnLW5vdC1yZWFs`;
      tokens.push(token);
      unverified.set(client, await tlsRequest(pki, { port: ports.edge.fwd, path: `/fwd/unverified/${client}`, client, headers: { Authorization: `Bearer ${token}` } })
        .then((r) => r.status, () => 'handshake refused' as const));
    }
  } finally {
    // Stopped before the logs are read: both flush their logs on a graceful stop.
    for (const p of procs.splice(0).reverse()) await p.stop();
  }
  return {
    pki, dir, statuses, unverified, tokens, apacheConfig,
    fwdOptions: options('fwd'),
    logs: { backend: join(dir, 'backend.json'), apacheEdge: CHAIN_ROUTES.map((r) => join(dir, `apache-edge-${r}.log`)) },
    tokenFacts: (s) => (s.bound ? { binding: 'mtls', cnfX5tS256: pki.clients.good.x5t } : { binding: 'bearer' }),
    cleanup: () => pki.cleanup(),
  };
}
