// Apache httpd 2.4 as the TLS-terminating edge (gateway-configs.ts apacheEdge) in front of the real
// NGINX backend that checks the forwarded Client-Cert (lib/testing/apache-edge-chain.ts): the routes
// fwd (the recommended vhost verbatim), strip and pass, the owner, two thieves and a bearer client.
// lib/hops must decide each request's chain as for the other edges (two-hop-chains.ts CHAIN_EXPECTED),
// and ingest must store that decision on both hops, on both runtimes. Skips without apache2 or nginx
// with njs, unless CI=true.
import { createReadStream, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { openParseStream } from '../ingest/parse-stream.ts';
import { apacheEdge } from '../ingest/gateway-configs.ts';
import type { FormatName } from '../ingest/types.ts';
import { listHopPaths } from '../services/estate/hops.ts';
import { listEvents, parseEventFilters } from '../services/estate/lists.ts';
import { ingestStream } from '../services/ingest/pipeline.ts';
import { apacheCaseName, runApacheEdgeChain, type ApacheEdgeChainRun } from '../testing/apache-edge-chain.ts';
import { findApache } from '../testing/apache-launch.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { findNginx } from '../testing/processes.ts';
import { CHAIN_EXPECTED, CHAIN_ROUTES, CHAIN_SCENARIOS, chainScenarioOfUrl } from '../testing/two-hop-chains.ts';
import { correlateHops, decideChain, hopVerdict, type ChainDecision, type HopObservation } from './index.ts';

const BINS = { nginx: findNginx(), apache: findApache() };
const IN_CI = process.env.CI === 'true';
const HAVE = !!(BINS.nginx && BINS.apache);
if (!HAVE && !IN_CI) console.warn('apache-edge-real.test.ts: skipped — needs apache2 and nginx with libnginx-mod-http-js; set CI=true to make this a failure');
const describeReal = HAVE || IN_CI ? describe : describe.skip;

const EDGE = 'apache-edge';
const BACKEND = 'nginx-backend';
const caseOf = (url: string | null) => (url ?? '').replace(/[?#].*$/, '').replace(/^.*\//, '');

describeReal('real Apache edge (recommended vhost) → NGINX backend', () => {
  let run: ApacheEdgeChainRun;
  const gateway = () => ({ gatewayConfig: run.apacheConfig, logFormat: 'holdfast' });
  let edgeEvents: NormalizedEvent[] = [];
  let backendEvents: NormalizedEvent[] = [];
  const lines = { edge: [] as string[], backend: [] as string[] };
  const want = new Map<string, { decision: ChainDecision; corr: string }>();

  async function parse(file: string, format: FormatName, gw?: { gatewayConfig: string; logFormat: string }): Promise<NormalizedEvent[]> {
    const out: NormalizedEvent[] = [];
    const { results } = await openParseStream(createReadStream(file), { format, ...gw });
    for await (const r of results) {
      if (r.result.kind !== 'event') throw new Error(`${file} line ${r.lineNo}: ${JSON.stringify(r.result)}`);
      out.push(r.result.event);
    }
    return out;
  }

  beforeAll(async () => {
    if (!HAVE) throw new Error('CI=true but apache2 or nginx (njs) is not installed: apt-get install -y apache2 nginx libnginx-mod-http-js');
    run = await runApacheEdgeChain({ nginx: BINS.nginx!, apache: BINS.apache! });
    const read = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim());
    lines.edge = run.logs.apacheEdge.flatMap(read);
    lines.backend = read(run.logs.backend);
    edgeEvents = (await Promise.all(run.logs.apacheEdge.map((f) => parse(f, 'apache', gateway())))).flat();
    backendEvents = await parse(run.logs.backend, 'nginx-json');
    // A hop knows the token only from what its line names (as ingest does): Apache logs the claims.
    // (A request of no scenario — one with an unverified certificate, which must not get this far — has none.)
    const facts = (e: NormalizedEvent) => {
      const s = chainScenarioOfUrl(e.url);
      return s && (e.tokenFingerprint || e.tokenClaims) ? run.tokenFacts(s) : null;
    };
    const obs: HopObservation[] = [];
    for (const e of edgeEvents) obs.push({ source: EDGE, event: e, verdict: await hopVerdict(e, facts(e)) });
    for (const e of backendEvents) obs.push({ source: BACKEND, event: e, verdict: await hopVerdict(e, facts(e)) });
    for (const group of correlateHops(obs)) {
      const edgeLine = group.find((h) => h.source === EDGE);
      if (edgeLine) want.set(caseOf(edgeLine.event.url), { decision: decideChain(group), corr: edgeLine.event.correlationId! });
    }
  }, 120_000);

  afterAll(() => run?.cleanup());

  it('the fwd route ran the recommended vhost verbatim', () => {
    expect(run.apacheConfig).toContain(apacheEdge(run.fwdOptions));
  });

  it.each(CHAIN_ROUTES.flatMap((r) => CHAIN_SCENARIOS.map((s) => [r, s.id, s] as const)))('%s × %s: the client\'s status and lib/hops\'s chain verdict, reason and leaking hop', (route, _id, s) => {
    const name = apacheCaseName(route, s);
    const exp = CHAIN_EXPECTED[s.id]![route];
    expect(run.statuses.get(name), name).toBe(exp.status);
    const d = want.get(name)?.decision;
    expect(d?.hops.map((h) => h.source), name).toEqual([EDGE, BACKEND]);
    expect({ chain: d?.chainVerdict, reason: d?.reason, leaks: d?.leakingHop?.source ?? null }).toEqual({ chain: exp.chain, reason: exp.reason, leaks: exp.edgeLeaks ? EDGE : null });
  });

  it('per hop: the owner via fwd is ok at the edge and at the backend, which read the edge\'s Client-Cert as the owner\'s certificate', () => {
    const d = want.get(apacheCaseName('fwd', CHAIN_SCENARIOS[0]!))!.decision;
    expect(d.hops.map((h) => h.verdict?.verdict)).toEqual(['ok', 'ok']);
    expect(d.hops[0]!.event.cert?.x5tS256).toBe(run.pki.clients.good.x5t);
    expect(d.hops[1]!.event.forwardedCert).toMatchObject({ x5tS256: run.pki.clients.good.x5t, header: 'client-cert' });
  });

  it('strip: the backend sees no certificate; pass: the thief\'s forged one; fwd: never the client\'s copy', () => {
    const fwd = (id: string) => backendEvents.find((e) => caseOf(e.url) === apacheCaseName('fwd', CHAIN_SCENARIOS.find((s) => s.id === id)!))!;
    for (const s of CHAIN_SCENARIOS) expect(backendEvents.find((e) => caseOf(e.url) === apacheCaseName('strip', s))?.forwardedCert ?? null, s.id).toBeNull();
    const pass = backendEvents.find((e) => caseOf(e.url) === apacheCaseName('pass', CHAIN_SCENARIOS.find((s) => s.id === 'thief-no-cert')!))!;
    expect(pass.forwardedCert?.x5tS256).toBe(run.pki.clients.good.x5t);
    // The thieves sent the owner's certificate: the recommended edge replaced it with their own, or with none.
    expect(fwd('thief-own-cert').forwardedCert?.x5tS256).toBe(run.pki.clients.other.x5t);
    expect(fwd('thief-no-cert').forwardedCert ?? null).toBeNull();
  });

  it('fwd: the backend gets https and the edge\'s own host and port, never the client\'s forged Forwarded or X-Forwarded-Host (mod_proxy appends to it)', () => {
    const fwdLines = lines.backend.map((l) => JSON.parse(l) as Record<string, string>).filter((l) => l.uri?.startsWith('/fwd/'));
    expect(fwdLines).toHaveLength(CHAIN_SCENARIOS.length);
    const port = run.fwdOptions.address.split(':')[1];
    for (const l of fwdLines) {
      expect([l.http_x_forwarded_host, l.http_x_forwarded_proto, l.http_forwarded], l.uri).toEqual([`api.test:${port}`, 'https', '']);
    }
    for (const s of CHAIN_SCENARIOS) {
      const e = backendEvents.find((x) => caseOf(x.url) === apacheCaseName('fwd', s));
      expect(e?.url, s.id).toBe(`https://api.test:${port}/fwd/orders/${apacheCaseName('fwd', s)}`);
    }
  });

  it('a certificate the handshake did not verify (revoked, expired, another CA\'s) never reaches the backend: SSLVerifyClient optional refuses the handshake', () => {
    expect(Object.fromEntries(run.unverified)).toEqual({ revoked: 'handshake refused', expired: 'handshake refused', untrusted: 'handshake refused' });
    expect(lines.backend.filter((l) => l.includes('/unverified/'))).toEqual([]);
  });

  describe.each(RUNTIMES)('%s', (runtime) => {
    let t: TestDatabase | null = null;
    afterAll(async () => {
      await t?.drop();
    });

    it('ingested (edge first, then backend), every hop of every request carries lib/hops\'s chain verdict, and the hop view names the leaking edge', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      const db = t.db;
      const ingest = async (text: string[], format: string, sourceName: string, gw = {}) => {
        const s = await ingestStream(db, text.map((l) => `${l}\n`), { format, sourceName, actor: 'test', ...gw });
        expect(s.rejected, JSON.stringify(s.errors.slice(0, 3))).toBe(0);
      };
      await ingest(lines.edge, 'apache', EDGE, gateway());
      await ingest(lines.backend, 'nginx-json', BACKEND);
      for (const route of CHAIN_ROUTES) {
        for (const s of CHAIN_SCENARIOS) {
          const name = apacheCaseName(route, s);
          const { corr } = want.get(name)!;
          const page = await listEvents(db, parseEventFilters({ requestId: corr }), {});
          expect(page.items.map((e) => [e.source, e.chainVerdict]).sort(), name).toEqual(
            [[EDGE, CHAIN_EXPECTED[s.id]![route].chain], [BACKEND, CHAIN_EXPECTED[s.id]![route].chain]],
          );
        }
      }
      const paths = await listHopPaths(db, {});
      for (const route of CHAIN_ROUTES) {
        const p = paths.find((x) => x.edge.source === EDGE && x.route?.endsWith(` /${route}/orders`));
        const leaked = CHAIN_SCENARIOS.filter((s) => CHAIN_EXPECTED[s.id]![route].edgeLeaks).length;
        expect([p?.backend.source, p?.requests, p?.leaks.reduce((n, l) => n + l.stripped + l.clientSupplied, 0)], route).toEqual([BACKEND, CHAIN_SCENARIOS.length, leaked]);
      }
      // No raw token reached a stored hop (Apache logs the claims segment only; ingest keeps none of it).
      const dump = JSON.stringify([await db.query(`SELECT * FROM "evidence"."Hop"`), paths]);
      for (const token of run.tokens) expect(dump).not.toContain(token.split('.')[1]);
    }, 120_000);
  });
});
