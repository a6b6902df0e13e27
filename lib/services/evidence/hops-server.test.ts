// Hop chains through the real server (scripts/start.mjs, production build) on both runtimes: the
// logs of real two-hop chains (NGINX and Caddy edges → NGINX backend; routes forwarding Client-Cert,
// stripping it, passing a client's copy) POSTed to /api/v1/ingest as three sources, the backend
// first. Then GET /api/v1/events?requestId=<the edge's X-Request-ID> shows both hops with the chain
// verdict, `holdfast events --request-id … --server` prints the same, GET /api/v1/hops names the
// leaking hop of each route, and the leaking_hop finding is open. Skips without a build, nginx
// (njs), caddy or haproxy unless CI=true.
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openParseStream } from '../../ingest/parse-stream.ts';
import { findCaddy } from '../../testing/caddy.ts';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../../testing/databases.ts';
import { findHaproxy } from '../../testing/haproxy-launch.ts';
import { findNginx, hasBuild, runCli, startServerProcess, type ServerProcess } from '../../testing/processes.ts';
import { CHAIN_EXPECTED, chainExpected, CHAIN_ROUTES, CHAIN_SCENARIOS, chainCaseName, runTwoHopChains, type ChainEdge, type TwoHopChainRun } from '../../testing/two-hop-chains.ts';

const NGINX = findNginx();
const CADDY = findCaddy();
const HAPROXY = findHaproxy();
const IN_CI = process.env.CI === 'true';
const RUN = (hasBuild() && !!(NGINX && CADDY && HAPROXY)) || IN_CI;
const EDGES: readonly ChainEdge[] = ['nginx', 'caddy'];
const SOURCE: Record<string, string> = { nginx: 'nginx-edge', caddy: 'caddy-edge' };

interface EventLine { id: string; requestId: string | null; correlationId: string | null; source: string | null; verdict: string; chainVerdict: string | null }

describe.runIf(RUN)('hop chains through the real server', { timeout: 600_000 }, () => {
  let run: TwoHopChainRun;
  /** Case name → the correlation id its edge gave the request. */
  const corrOf = new Map<string, string>();

  beforeAll(async () => {
    if (!NGINX || !CADDY || !HAPROXY) throw new Error('CI=true but nginx, caddy or haproxy is not installed');
    run = await runTwoHopChains({ nginx: NGINX, caddy: CADDY, haproxy: HAPROXY }, 'holdfast-hops-server-');
    for (const [file, format] of [[run.logs.nginxEdge, 'nginx-json'], ...run.logs.caddyEdge.map((f) => [f, 'caddy'])] as Array<[string, 'nginx-json' | 'caddy']>) {
      const { results } = await openParseStream(createReadStream(file), { format });
      for await (const r of results) if (r.result.kind === 'event') corrOf.set((r.result.event.url ?? '').replace(/^.*\//, ''), r.result.event.correlationId!);
    }
  }, 180_000);
  afterAll(() => run?.cleanup());

  describe.each(RUNTIMES)('%s', (runtime) => {
    let server: ServerProcess | null = null;
    let env: Record<string, string> = {};
    let key = '';
    let dataDir = '';
    let drop: () => Promise<void> = async () => {};

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-hops-server-'));
      env = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_DEMO: 'never', DATABASE_URL: '' };
      if (runtime === 'postgres') {
        const pg = await createPostgresTestDatabase({ migrated: true });
        drop = pg.drop;
        env = { ...env, DATABASE_URL: pg.url, HOLDFAST_SECRET_KEY: randomBytes(32).toString('base64') };
      }
      const k = await runCli(['apikey', 'create', '--name', 'hops-operator', '--role', 'operator', '--json'], { env });
      expect(k.code, k.stderr).toBe(0);
      key = (JSON.parse(k.stdout) as { key: string }).key;
      server = await startServerProcess(env);
      // The backend's log first: its lines wait for their edges, whose batches decide the chains.
      const post = async (file: string | string[], format: string, source: string) => {
        const body = (Array.isArray(file) ? file : [file]).map((f) => readFileSync(f, 'utf8')).join('');
        const res = await fetch(`${server!.url}/api/v1/ingest?format=${format}&source=${source}&findings=wait`, {
          method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' }, body,
        });
        const summary = (await res.json()) as { rejected: number; accepted: number };
        expect([res.status, summary.rejected], JSON.stringify(summary)).toEqual([200, 0]);
      };
      await post(run.logs.backend, 'nginx-json', 'nginx-backend');
      await post(run.logs.nginxEdge, 'nginx-json', 'nginx-edge');
      await post(run.logs.caddyEdge, 'caddy', 'caddy-edge');
    }, 600_000);

    afterAll(async () => {
      await server?.stop();
      await drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    const api = async <T,>(p: string): Promise<T> => {
      const res = await fetch(`${server!.url}${p}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status, p).toBe(200);
      return (await res.json()) as T;
    };

    it('GET /api/v1/events?requestId= and holdfast events --request-id --server: both hops of every request, with the chain verdict', async (ctx) => {
      if (!server) return ctx.skip();
      for (const edge of EDGES) {
        for (const [r, route] of CHAIN_ROUTES.entries()) {
          for (const [i, s] of CHAIN_SCENARIOS.entries()) {
            const name = chainCaseName(edge, route, s);
            const corr = corrOf.get(name)!;
            const page = await api<{ items: EventLine[] }>(`/api/v1/events?requestId=${encodeURIComponent(corr)}`);
            expect(page.items.map((e) => [e.source, e.correlationId, e.chainVerdict]).sort(), name).toEqual(
              [[SOURCE[edge], corr, chainExpected(edge, route, s)], ['nginx-backend', corr, chainExpected(edge, route, s)]].sort(),
            );
            // The CLI prints what the API answered: checked on one scenario per edge and route
            // (a different one each time, so every scenario is covered), not on all 30 cases -
            // each CLI run is a process start.
            if (i !== (EDGES.indexOf(edge) * CHAIN_ROUTES.length + r) % CHAIN_SCENARIOS.length) continue;
            const cli = await runCli(['events', '--request-id', corr, '--json', '--server', server.url, '--api-key', key], { env });
            expect(cli.code, cli.stderr).toBe(0);
            const lines = cli.stdout.trim().split('\n').map((l) => JSON.parse(l) as EventLine);
            expect(lines.map((l) => [l.id, l.source, l.correlationId, l.verdict, l.chainVerdict])).toEqual(
              page.items.map((e) => [e.id, e.source, e.correlationId, e.verdict, e.chainVerdict]),
            );
          }
        }
      }
    });

    it('GET /api/v1/hops names the leaking hop of every route that strips or passes a client\'s certificate; the finding is open', async (ctx) => {
      if (!server) return ctx.skip();
      const view = await api<{ paths: Array<{ route: string; edge: { source: string }; backend: { source: string }; leaks: Array<{ hop: { source: string; role: string }; stripped: number; clientSupplied: number; clientSuppliedAccepted: number }> }> }>('/api/v1/hops');
      for (const edge of EDGES) {
        for (const route of CHAIN_ROUTES) {
          const p = view.paths.find((x) => x.edge.source === SOURCE[edge] && x.route.endsWith(` /${route}/orders`));
          expect(p?.backend.source, `${edge} ${route}`).toBe('nginx-backend');
          const want = CHAIN_SCENARIOS.map((s) => CHAIN_EXPECTED[s.id]![route]).filter((e) => e.edgeLeaks);
          const spoofed = want.filter((e) => e.chain === 'spoofed_client_cert').length;
          expect(p!.leaks, `${edge} ${route}`).toEqual(
            want.length ? [expect.objectContaining({ hop: { source: SOURCE[edge], role: 'edge' }, stripped: want.length - spoofed, clientSupplied: spoofed, clientSuppliedAccepted: spoofed })] : [],
          );
        }
      }
      const findings = await api<{ items: Array<{ rule: string; severity: string; title: string }> }>('/api/v1/findings?rule=leaking_hop');
      expect(findings.items.map((f) => [f.severity, f.title]).sort()).toEqual([
        ['critical', 'caddy-edge passes client-supplied certificates on to nginx-backend'],
        ['critical', 'nginx-edge passes client-supplied certificates on to nginx-backend'],
      ]);
      // No raw token in any answer.
      const all = JSON.stringify([view, findings, await api('/api/v1/events?limit=500')]);
      for (const t of run.tokens) expect(all).not.toContain(t.split('.')[1]);
    });

    it('GET /api/v1/events?route=&source=&failures=all and holdfast events --route --server: every request of a route the hop view names, the same', async (ctx) => {
      if (!server) return ctx.skip();
      const view = await api<{ paths: Array<{ route: string; edge: { source: string } }> }>('/api/v1/hops');
      for (const edge of EDGES) {
        for (const route of CHAIN_ROUTES) {
          const named = view.paths.find((x) => x.edge.source === SOURCE[edge] && x.route.endsWith(` /${route}/orders`))!.route;
          const q = `failures=all&source=${SOURCE[edge]}&route=${encodeURIComponent(named)}`;
          const page = await api<{ items: Array<EventLine & { route: string | null }> }>(`/api/v1/events?${q}&limit=500`);
          // One edge line per scenario of the route, each the route's own.
          expect(page.items.map((e) => [e.source, e.route]), `${edge} ${route}`).toEqual(CHAIN_SCENARIOS.map(() => [SOURCE[edge], named]));
          expect(page.items.map((e) => e.correlationId).sort()).toEqual(CHAIN_SCENARIOS.map((s) => corrOf.get(chainCaseName(edge, route, s))).sort());
          if (route !== CHAIN_ROUTES[0]) continue;
          const cli = await runCli(['events', '--failures', 'all', '--source', SOURCE[edge]!, '--route', named, '--json', '--server', server.url, '--api-key', key], { env });
          expect(cli.code, cli.stderr).toBe(0);
          expect(cli.stdout.trim().split('\n').map((l) => (JSON.parse(l) as EventLine).id)).toEqual(page.items.map((e) => e.id));
        }
      }
    });

    it('bad event filters are a 400 problem naming the parameter, and exit 2 from the CLI through the server', async (ctx) => {
      if (!server) return ctx.skip();
      for (const [q, param] of [['network=203.0.113.0%2F24', 'network'], ['route=host%2Fpath', 'route'], ['routePrefix=a%20b', 'routePrefix'], ['failures=most', 'failures']]) {
        const res = await fetch(`${server.url}/api/v1/events?${q}`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status, q).toBe(400);
        expect(res.headers.get('content-type'), q).toMatch(/^application\/problem\+json/);
        const body = (await res.json()) as { code: string; detail: string };
        expect([body.code, body.detail.startsWith(`query parameter ${param}: `)], q).toEqual(['bad_request', true]);
      }
      const cli = await runCli(['events', '--network', '203.0.113.0/24', '--json', '--server', server.url, '--api-key', key], { env });
      expect([cli.code, cli.stdout, cli.stderr.trim().split('\n').length]).toEqual([2, '', 1]);
    });

    it('POST /api/v1/simulations counts each spoofed path once: its other hop\'s line is sameAttackOtherHops, never a legitimate client breaking', async (ctx) => {
      if (!server) return ctx.skip();
      // From the scenario table: the requests whose path is spoofed (a forged Client-Cert passed on)
      // and that the client saw answered 2xx; each has an edge line and a backend line in scope.
      let spoofedAccepted = 0;
      for (const edge of EDGES) for (const route of CHAIN_ROUTES) for (const s of CHAIN_SCENARIOS) {
        const name = chainCaseName(edge, route, s);
        const status = run.statuses.get(name);
        if (chainExpected(edge, route, s) === 'spoofed_client_cert' && status !== undefined && status >= 200 && status < 300) spoofedAccepted++;
      }
      expect(spoofedAccepted).toBeGreaterThan(0);
      const to = new Date(Date.now() + 3_600_000).toISOString();
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const res = await fetch(`${server.url}/api/v1/simulations`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ policy: { require: 'mtls' }, from, to }),
      });
      expect(res.status).toBe(200);
      const { requests: q } = (await res.json()) as { requests: Record<string, number> };
      expect(q.sameAttackOtherHops).toBe(spoofedAccepted);
      expect(q.attacksStopped).toBeGreaterThanOrEqual(spoofedAccepted);
      expect(q.total).toBe(q.wouldBeRefused! + q.alreadyRefused! + q.alreadyInvalid! + q.unaffected! + q.unknown! + q.sameAttackOtherHops!);
    });

    it('bad hop filters are a 400 problem, never a 500', async (ctx) => {
      if (!server) return ctx.skip();
      for (const q of ['from=not-a-date', `route=${'x'.repeat(400)}`, 'to=%00']) {
        const res = await fetch(`${server.url}/api/v1/hops?${q}`, { headers: { authorization: `Bearer ${key}` } });
        expect(res.status, q).toBe(400);
        expect(((await res.json()) as { code: string }).code, q).toBe('bad_request');
      }
    });
  });
});
