// Hop chains stored through ingest (issue #16 item 5), on both runtimes: the logs of real two-hop
// chains (HAProxy, NGINX and Caddy edges in front of an NGINX backend that checks the forwarded Client-Cert;
// routes that forward it correctly, strip it, and pass a client's copy through — the harness of
// lib/hops/chains-real.test.ts) ingested through ingestStream as separate sources, in every order:
// edge logs first, the backend's first, edge and backend lines in one batch of one source, and edge
// and backend batches at the same time. Every request's chainVerdict — on the edge's line and the
// backend's — must be lib/hops's decision over the same lines; the hop view must name the leaking
// hop; the finding must open. Skips without nginx (njs), caddy or haproxy unless CI=true.
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../../domain/types.ts';
import { correlateHops, decideChain, hopVerdict, type ChainDecision, type HopObservation } from '../../hops/index.ts';
import { openParseStream } from '../../ingest/parse-stream.ts';
import type { FormatName } from '../../ingest/types.ts';
import { findCaddy } from '../../testing/caddy.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy } from '../../testing/haproxy-launch.ts';
import { findNginx } from '../../testing/processes.ts';
import {
  CHAIN_EXPECTED, chainExpected, CHAIN_ROUTES, chainCaseName, chainScenarioOfUrl, CHAIN_SCENARIOS, runTwoHopChains, type ChainEdge, type TwoHopChainRun,
} from '../../testing/two-hop-chains.ts';
import { listHopPaths } from '../estate/hops.ts';
import { listEvents, parseEventFilters } from '../estate/lists.ts';
import { evaluateFindings } from '../findings/index.ts';
import { ingestStream } from '../ingest/pipeline.ts';

const NGINX = findNginx();
const CADDY = findCaddy();
const HAPROXY = findHaproxy();
const IN_CI = process.env.CI === 'true';
const HAVE = !!(NGINX && CADDY && HAPROXY);
if (!HAVE && !IN_CI) console.warn('hops.test.ts: skipped — needs nginx, libnginx-mod-http-js, caddy and haproxy; set CI=true to make this a failure');
const describeReal = HAVE || IN_CI ? describe : describe.skip;

const EDGES: readonly ChainEdge[] = ['haproxy', 'nginx', 'caddy'];
const SOURCE: Record<ChainEdge, string> = { nginx: 'nginx-edge', caddy: 'caddy-edge', haproxy: 'haproxy-edge' };

const ORDERS = ['edge logs first', 'backend log first', 'edge and backend lines in one batch of one source', 'edge and backend batches at the same time'] as const;
type Order = (typeof ORDERS)[number];

async function parse(file: string, format: FormatName, gateway?: { gatewayConfig: string; logFormat: string }): Promise<NormalizedEvent[]> {
  const out: NormalizedEvent[] = [];
  if (!existsSync(file)) return out;
  const { results } = await openParseStream(createReadStream(file), { format, ...gateway });
  for await (const r of results) {
    // HAProxy's stdout also carries its own notices: skipped, not access lines.
    if (r.result.kind === 'skip') continue;
    if (r.result.kind !== 'event') throw new Error(`${file} line ${r.lineNo}: ${JSON.stringify(r.result)}`);
    out.push(r.result.event);
  }
  return out;
}

/** Resolves for everyone once `n` callers have arrived (the first call of each; later chunks pass). */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((r) => (release = r));
  return () => {
    if (++arrived === n) release();
    return all;
  };
}

const caseOf = (url: string | null) => (url ?? '').replace(/[?#].*$/, '').replace(/^.*\//, '');
const readLines = (files: string[]) => files.flatMap((f) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter((l) => l.trim()) : []));

describeReal('hop chains stored through ingest: real HAProxy, NGINX and Caddy edges → NGINX backend', () => {
  let run: TwoHopChainRun;
  /** lib/hops's decision per case, and the correlation id the edge gave the request. */
  const want = new Map<string, { decision: ChainDecision; corr: string }>();
  const lines = { haproxyEdge: [] as string[], nginxEdge: [] as string[], caddyEdge: [] as string[], backend: [] as string[] };
  const haproxyGateway = () => ({ gatewayConfig: run.haproxyConfig, logFormat: 'holdfast_edge' });

  beforeAll(async () => {
    if (!HAVE) throw new Error('CI=true but nginx, caddy or haproxy is not installed: apt-get install -y nginx libnginx-mod-http-js caddy haproxy');
    run = await runTwoHopChains({ nginx: NGINX!, caddy: CADDY!, haproxy: HAPROXY! }, 'holdfast-hops-');
    lines.haproxyEdge = readLines([run.logs.haproxyEdge]);
    lines.nginxEdge = readLines([run.logs.nginxEdge]);
    lines.caddyEdge = readLines(run.logs.caddyEdge);
    lines.backend = readLines([run.logs.backend]);
    const backend = await parse(run.logs.backend, 'nginx-json');
    const edges: Array<[ChainEdge, NormalizedEvent[]]> = [
      ['haproxy', await parse(run.logs.haproxyEdge, 'haproxy', haproxyGateway())],
      ['nginx', await parse(run.logs.nginxEdge, 'nginx-json')],
      ['caddy', (await Promise.all(run.logs.caddyEdge.map((f) => parse(f, 'caddy')))).flat()],
    ];
    // A hop knows the token only from what its line names (as ingest does): the Caddy edge logs none.
    const facts = (e: NormalizedEvent) => (e.tokenFingerprint || e.tokenClaims ? run.tokenFacts(chainScenarioOfUrl(e.url)!) : null);
    for (const [edge, edgeLines] of edges) {
      const obs: HopObservation[] = [];
      for (const e of edgeLines) obs.push({ source: SOURCE[edge], event: e, verdict: await hopVerdict(e, facts(e)) });
      for (const e of backend) obs.push({ source: 'nginx-backend', event: e, verdict: await hopVerdict(e, facts(e)) });
      for (const group of correlateHops(obs)) {
        const edgeLine = group.find((h) => h.source === SOURCE[edge]);
        if (edgeLine) want.set(caseOf(edgeLine.event.url), { decision: decideChain(group), corr: edgeLine.event.correlationId! });
      }
    }
  }, 180_000);

  afterAll(() => run?.cleanup());

  it('the harness drove every case and lib/hops decided each as the chain tests expect (the reference)', () => {
    for (const edge of EDGES) {
      for (const route of CHAIN_ROUTES) {
        for (const s of CHAIN_SCENARIOS) {
          const name = chainCaseName(edge, route, s);
          expect(run.statuses.get(name), name).toBe(CHAIN_EXPECTED[s.id]![route].status);
          expect(want.get(name)?.decision.chainVerdict, name).toBe(chainExpected(edge, route, s));
        }
      }
    }
  });

  describe.each(RUNTIMES)('%s', (runtime) => {
    const dbs: TestDatabase[] = [];
    afterAll(async () => {
      for (const t of dbs.splice(0)) await t.drop();
    });

    /** RFC 7662 answers for every token the clients sent (the raw token is fingerprinted and dropped by ingest). */
    const introspection = () =>
      run.tokens.map((token) => {
        const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
        return JSON.stringify({ active: true, token, ...claims });
      });

    async function ingestInOrder(t: TestDatabase, order: Order): Promise<{ edgeSource: Record<ChainEdge, string>; backendSource: string }> {
      const ingest = (text: string[], format: string, sourceName: string, onChunk?: () => Promise<void>) =>
        ingestStream(t.db, text.map((l) => `${l}\n`), { format, sourceName, actor: 'test', onChunk, ...(format === 'haproxy' ? haproxyGateway() : {}) }).then((s) => {
          expect(s.rejected, JSON.stringify(s.errors.slice(0, 3))).toBe(0);
          return s;
        });
      const otherEdgesIn = async () => {
        await ingest(lines.haproxyEdge, 'haproxy', 'haproxy-edge');
        await ingest(lines.caddyEdge, 'caddy', 'caddy-edge');
      };
      const edgesIn = async () => {
        await ingest(lines.nginxEdge, 'nginx-json', 'nginx-edge');
        await otherEdgesIn();
      };
      const backendIn = () => ingest(lines.backend, 'nginx-json', 'nginx-backend');
      const sources = { edgeSource: { ...SOURCE }, backendSource: 'nginx-backend' };
      if (order === 'edge logs first') {
        await edgesIn();
        await backendIn();
      } else if (order === 'backend log first') {
        await backendIn();
        await edgesIn();
      } else if (order === 'edge and backend batches at the same time') {
        // On PostgreSQL both batches write their rows and only then go on to decide, each unable to see
        // the other's uncommitted rows: the decision must still be made, by whichever commits second.
        // (PGlite runs one transaction at a time: there the batches just queue.)
        // The authorization server's introspection first, so the tokens and their identity exist:
        // two batches creating the same new token would queue on its unique key and never overlap.
        await ingest(introspection(), 'introspection', 'as-introspection');
        const meet = runtime === 'postgres' ? barrier(2) : undefined;
        await Promise.all([ingest(lines.nginxEdge, 'nginx-json', 'nginx-edge', meet), ingest(lines.backend, 'nginx-json', 'nginx-backend', meet)]);
        await otherEdgesIn();
      } else {
        // A log shipper sending every NGINX's lines as one source, in time order: edge and backend interleaved.
        const time = (l: string) => Date.parse((JSON.parse(l) as { time: string }).time);
        const mixed = [...lines.nginxEdge, ...lines.backend].sort((a, b) => time(a) - time(b));
        await ingest(mixed, 'nginx-json', 'nginx-fleet');
        await otherEdgesIn();
        return { edgeSource: { ...SOURCE, nginx: 'nginx-fleet' }, backendSource: 'nginx-fleet' };
      }
      return sources;
    }

    it.each(ORDERS.map((o) => [o]))('%s: each hop of each request carries lib/hops\'s chain verdict; the hop view names the leaking hop; the finding opens', async (order) => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const { edgeSource, backendSource } = await ingestInOrder(t, order);

      for (const edge of EDGES) {
        for (const route of CHAIN_ROUTES) {
          for (const s of CHAIN_SCENARIOS) {
            const name = chainCaseName(edge, route, s);
            const { decision, corr } = want.get(name)!;
            const page = await listEvents(t.db, parseEventFilters({ requestId: corr }), {});
            // Both hops, found by the id the edge propagated: the edge's line and the backend's.
            expect(page.items.map((e) => e.source).sort(), name).toEqual([edgeSource[edge], backendSource].sort());
            for (const e of page.items) {
              expect({ name, correlationId: e.correlationId, chainVerdict: e.chainVerdict }).toEqual({ name, correlationId: corr, chainVerdict: decision.chainVerdict });
            }
            // The backend's own line is judged as the chain judges it: with the certificate the edge
            // forwarded standing in for a TLS one (lib/hops backendView), not as a request without one.
            if (backendSource !== edgeSource[edge]) {
              const own = page.items.find((e) => e.source === backendSource);
              const hop = decision.hops.find((h) => h.source === 'nginx-backend');
              expect({ name, verdict: own?.verdict, x5tS256: own?.x5tS256 ?? null }).toEqual({ name, verdict: hop?.verdict?.verdict, x5tS256: hop?.event.forwardedCert?.x5tS256 ?? null });
            }
          }
        }
      }

      const paths = await listHopPaths(t.db, {});
      for (const edge of EDGES) {
        for (const route of CHAIN_ROUTES) {
          const p = paths.find((x) => x.edge.source === edgeSource[edge] && x.route?.endsWith(` /${route}/orders`));
          expect(p, `${edge} ${route}`).toBeDefined();
          expect([p!.backend.source, p!.hops, p!.requests]).toEqual([backendSource, 2, CHAIN_SCENARIOS.length]);
          const decisions = CHAIN_SCENARIOS.map((s) => want.get(chainCaseName(edge, route, s))!.decision);
          const leaked = decisions.filter((d) => d.leakingHop);
          const spoofed = leaked.filter((d) => d.chainVerdict === 'spoofed_client_cert').length;
          if (!leaked.length) expect(p!.leaks, `${edge} ${route}`).toEqual([]);
          else {
            expect(p!.leaks.map((l) => ({ ...l, example: undefined })), `${edge} ${route}`).toEqual([
              { hop: { source: edgeSource[edge], role: 'edge' }, stripped: leaked.length - spoofed, clientSupplied: spoofed, clientSuppliedAccepted: spoofed, example: undefined },
            ]);
            // The example opens every hop of one leaked request.
            const ex = await listEvents(t.db, parseEventFilters({ requestId: p!.leaks[0]!.example! }), {});
            expect(ex.items).toHaveLength(2);
          }
          expect(p!.forwarding.intact, `${edge} ${route}`).toBe(decisions.filter((d) => d.reason === 'forwarded_intact').length);
        }
      }

      await evaluateFindings(t.db, { actor: 'test' });
      const found = await t.db.query<{ severity: string; evidence: { hop: { source: string; role: string } } }>(
        `SELECT severity, evidence FROM "Finding" WHERE rule = 'leaking_hop' AND status = 'open' ORDER BY evidence->'hop'->>'source'`,
      );
      expect(found.map((f) => [f.evidence.hop.source, f.evidence.hop.role, f.severity])).toEqual(
        [...new Set(EDGES.map((e) => edgeSource[e]))].sort().map((src) => [src, 'edge', 'critical']),
      );
    }, 240_000);
  });

  it('no raw token reached any stored hop or answer', async () => {
    const t = await openTestDatabase('pglite');
    try {
      await ingestInOrderForSecrets(t);
      const dump = JSON.stringify([
        await t.db.query(`SELECT * FROM "evidence"."Hop"`),
        await t.db.query(`SELECT * FROM "evidence"."HopUsage"`),
        await listHopPaths(t.db, {}),
      ]);
      for (const token of run.tokens) expect(dump).not.toContain(token.split('.')[1]);
    } finally {
      await t.drop();
    }
  });

  async function ingestInOrderForSecrets(t: TestDatabase): Promise<void> {
    await ingestStream(t.db, lines.nginxEdge.map((l) => `${l}\n`), { format: 'nginx-json', sourceName: 'nginx-edge', actor: 'test' });
    await ingestStream(t.db, lines.backend.map((l) => `${l}\n`), { format: 'nginx-json', sourceName: 'nginx-backend', actor: 'test' });
  }
});

// A chain's later hops may arrive batches after its first two (ingest order is arbitrary): the
// chain is decided again with every hop, its rows updated, and its hourly count moved — never
// counted twice, also when batches are sent again.
describe.each(RUNTIMES)('a chain decided again when a third hop arrives (%s)', (runtime) => {
  let t: TestDatabase | null = null;
  let pki: ReturnType<typeof createGatewayPki> | null = null;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    pki = createGatewayPki('holdfast-hop3-');
    // The lines come after the certificates were made: the proxy's forwarded certificate is valid
    // then (before its notBefore it would be cert_expired, and so would the chain).
    t0 = Math.ceil(Date.now() / 1000) * 1000 + 1000;
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
    pki?.cleanup();
  });

  const corr = 'b1946ac92492d2347c6235b4d2611184';
  let t0 = 0;
  /** Ingest's clock: a minute after the chain's lines. */
  const clock = () => new Date(t0 + 60_000);
  const at = (ms: number) => new Date(t0 + ms).toISOString().replace(/\.\d+Z$/, '+00:00');
  const base = (id: string, ms: number, host: string) => ({
    time: at(ms), request_id: id, correlation_id: corr, remote_addr: '10.1.2.3', method: 'GET', scheme: 'https', host, uri: '/v1/orders/7', status: 200,
  });
  // The edge saw the client's certificate; the proxy received it in Client-Cert; the backend received none.
  const edge = () => JSON.stringify({ ...base('0a'.repeat(16), 5000, 'api.test'), ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'CN=svc-a,O=Test', ssl_client_x5t: pki!.clients.good.x5t });
  const proxy = () => JSON.stringify({ ...base('0b'.repeat(16), 0, 'proxy.internal'), http_client_cert: `:${pki!.clients.good.derB64}:` });
  const backend = () => JSON.stringify({ ...base('0c'.repeat(16), 3000, 'orders.internal'), http_client_cert: '' });
  const ingest = (line: string, sourceName: string) => ingestStream(t!.db, [`${line}\n`], { format: 'nginx-json', sourceName, actor: 'test', now: clock });
  const usage = async () =>
    (await t!.db.query<{ hops: number; leakPos: number | null; n: number }>(
      `SELECT "hops", "leakPos", sum("count")::int AS n FROM "evidence"."HopUsage" GROUP BY 1, 2 HAVING sum("count") <> 0 ORDER BY 1`,
    )).map((r) => [r.hops, r.leakPos, r.n]);

  it('edge + backend: stripped at the edge; then the proxy\'s line: stripped at the proxy, counted once', async () => {
    if (!t) return;
    await ingest(edge(), 'edge');
    // One hop alone is no chain: nothing decided, nobody accused.
    expect((await listEvents(t.db, parseEventFilters({ requestId: corr }), {})).items.map((r) => [r.source, r.chainVerdict])).toEqual([['edge', null]]);
    expect(await usage()).toEqual([]);
    await ingest(backend(), 'orders');
    expect(await usage()).toEqual([[2, 0, 1]]);
    let paths = await listHopPaths(t.db, {});
    expect(paths.map((p) => [p.hops, p.leaks.map((l) => [l.hop.source, l.hop.role, l.stripped])])).toEqual([[2, [['edge', 'edge', 1]]]]);

    await ingest(proxy(), 'mesh-proxy');
    expect(await usage()).toEqual([[3, 1, 1]]);
    paths = await listHopPaths(t.db, {});
    expect(paths.map((p) => [p.edge.source, p.backend.source, p.hops, p.requests, p.leaks.map((l) => [l.hop.source, l.hop.role, l.stripped])])).toEqual([
      ['edge', 'orders', 3, 1, [['mesh-proxy', 'proxy', 1]]],
    ]);
    const rows = (await listEvents(t.db, parseEventFilters({ requestId: corr }), {})).items;
    expect(rows.map((r) => [r.source, r.chainVerdict]).sort()).toEqual([['edge', 'binding_context_stripped'], ['mesh-proxy', 'binding_context_stripped'], ['orders', 'binding_context_stripped']]);

    // Sent again, every line is a duplicate: nothing is decided or counted again.
    for (const [line, src] of [[edge(), 'edge'], [proxy(), 'mesh-proxy'], [backend(), 'orders']] as const) expect((await ingest(line, src)).duplicates).toBe(1);
    expect(await usage()).toEqual([[3, 1, 1]]);

    await evaluateFindings(t.db, { actor: 'test', now: clock() });
    const found = await t.db.query<{ severity: string; key: string }>(`SELECT severity, "dedupeKey" AS key FROM "Finding" WHERE rule = 'leaking_hop' AND status = 'open'`);
    expect(found).toEqual([{ severity: 'high', key: 'leaking_hop:hop:mesh-proxy:proxy:orders' }]);
  }, 120_000);
});
