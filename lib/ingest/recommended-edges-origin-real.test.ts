// The recommended edges (NGINX_FORWARD_CLIENT_CERT, haproxyFrontend, caddySite: gateway-configs.ts
// FORWARD_ORIGIN), run by the real NGINX, HAProxy and Caddy in front of the real NGINX backend with
// its recommended log format (NGINX_BACKEND_NJS_LOG_FORMAT): the backend's line names the URL the
// client called (https, the edge's host and port), whatever forwarding headers the client sent
// itself (`Forwarded: proto=http;host=evil.test`, X-Forwarded-Proto/-Host). Skips when a gateway
// is missing, unless CI=true (then it must run).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCaddy } from '../testing/caddy.ts';
import { findHaproxy } from '../testing/haproxy-launch.ts';
import { findNginx } from '../testing/processes.ts';
import { CHAIN_EDGES, CHAIN_SCENARIOS, chainCaseName, runTwoHopChains, type TwoHopChainRun } from '../testing/two-hop-chains.ts';
import { nginxJsonParser } from './formats/nginx-json.ts';
import { createParseContext } from './types.ts';

const BINS = { nginx: findNginx(), caddy: findCaddy(), haproxy: findHaproxy() };
const IN_CI = process.env.CI === 'true';
const ALL = !!(BINS.nginx && BINS.caddy && BINS.haproxy);
if (!ALL && !IN_CI) console.warn('recommended-edges-origin-real.test.ts: skipped — nginx (njs), caddy and haproxy are needed; set CI=true to make this a failure');
const describeReal = ALL || IN_CI ? describe : describe.skip;

describeReal('recommended edges tell the backend the URL the client called', () => {
  let run: TwoHopChainRun;
  const urls = new Map<string, string | null>();
  /** The X-Forwarded-Port each `fwd` line of the backend received, by case name. */
  const ports = new Map<string, string>();
  /** The X-Forwarded-For each `fwd` line of the backend received, by case name. */
  const xff = new Map<string, string>();

  beforeAll(async () => {
    if (!ALL) throw new Error('CI=true but nginx, caddy or haproxy is not installed');
    run = await runTwoHopChains({ nginx: BINS.nginx!, caddy: BINS.caddy!, haproxy: BINS.haproxy! }, 'holdfast-edge-origin-');
    const ctx = createParseContext();
    for (const line of readFileSync(run.logs.backend, 'utf8').split('\n')) {
      const r = nginxJsonParser.parseLine(line, ctx);
      if (r.kind !== 'event') continue;
      const name = r.event.url?.replace(/^.*\//, '') ?? '';
      urls.set(name, r.event.url);
      const logged = JSON.parse(line) as { http_x_forwarded_port: string; http_x_forwarded_for: string };
      ports.set(name, logged.http_x_forwarded_port);
      xff.set(name, logged.http_x_forwarded_for);
    }
  }, 180_000);

  afterAll(() => run?.cleanup());

  it.each(CHAIN_EDGES)('%s edge, recommended route: https, the edge\'s own host and port, never the client\'s claim', (edge) => {
    for (const s of CHAIN_SCENARIOS) {
      const name = chainCaseName(edge, 'fwd', s);
      // A request the backend refused is logged too.
      expect(urls.get(name), name).toMatch(new RegExp(`^https://api\\.test:\\d+/fwd/orders/${name}$`));
      // The client's X-Forwarded-Port: 1 never reaches the backend (NGINX and HAProxy set their own, Caddy removes it).
      const port = ports.get(name);
      if (edge === 'caddy') expect(port, name).toBe('');
      else expect(port, name).toBe(/:(\d+)\//.exec(urls.get(name) ?? '')?.[1]);
      // The client's X-Forwarded-For (a spoofed address behind a spoofed proxy) never reaches it either: the client's own address alone.
      expect(xff.get(name), name).toBe('127.0.0.1');
    }
  });
});
