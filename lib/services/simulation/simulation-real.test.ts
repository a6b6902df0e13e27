// The simulation on real NGINX traffic, on both runtimes: the mTLS scenario's clients (a legitimate
// bound client, a stolen token replayed with another certificate, a bound token without its
// certificate, a bearer token) go through the recommended logging-only NGINX (3 rounds) and through
// the generated enforcing NGINX (2 rounds), both logs are ingested, and the simulation's counts
// equal (a) what the scenario's table says each client is and (b) a straightforward recount, one
// evidence."Request" ledger row at a time, of the same requests. Skips without nginx, unless CI=true.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTLS_CLIENTS, mtlsTokens } from '../../enforcement/testing/clients.ts';
import { startEnforcingNginx, startLoggingOnlyNginx, startRecordingUpstream, type RecordingUpstream, type RunningGateway } from '../../enforcement/testing/enforcing-nginx.ts';
import { verdictOfCode } from '../../domain/verdict-codes.ts';
import { classifyUsage, MISSING_PROOF_REASONS, parsePolicy, type SimulationCategory, type SimulationPolicy, type TokenBinding } from '../../simulate/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findNginx } from '../../testing/processes.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { listEvents, parseEventFilters } from '../estate/lists.ts';
import { expectColumnsEqualSql } from '../../testing/simulation-engines.ts';
import { runSimulation, UNKNOWN_NETWORK, UNKNOWN_ROUTE } from './index.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
const describeReal = NGINX || IN_CI ? describe : describe.skip;
const BEFORE_ROUNDS = 3;
const ENFORCED_ROUNDS = 2;

interface Recount {
  total: number;
  counts: Record<SimulationCategory, number>;
  byIdentity: Map<string, Record<SimulationCategory, number>>;
  byNetwork: Map<string, Record<SimulationCategory, number>>;
}

const zero = (): Record<SimulationCategory, number> => ({ attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, unaffected: 0, unknown: 0, sameAttackOtherHops: 0 });

/** Every ledger row of the range, classified one at a time (no aggregation in the database). */
async function recount(t: TestDatabase, policy: SimulationPolicy, from: Date, to: Date): Promise<Recount> {
  const rows = await t.db.query<{ verdict: number; status: number | null; reason: string | null; binding: string | null; ttl: number | null; identity: string | null; network: string | null; source: string | null }>(
    `SELECT r.verdict, r."httpStatus" AS status, rd.value AS reason, tk.binding::text AS binding, coalesce(tk."ttlSeconds", round(extract(epoch FROM tk."expiresAt" - tk."issuedAt"))::int) AS ttl,
            i.name AS identity, nd.value AS network, s.name AS source
       FROM evidence."Request" r
       LEFT JOIN evidence."Dim" rd ON rd.id = r.reason
       LEFT JOIN evidence."Dim" nd ON nd.id = r.network
       LEFT JOIN evidence."Dim" sd ON sd.id = r.ns
       LEFT JOIN "Source" s ON s.id::text = sd.value
       LEFT JOIN "Token" tk ON tk.id = r."tokenId"
       LEFT JOIN "Identity" i ON i.id = coalesce(r."identityId", tk."identityId")
      WHERE r."occurredAt" >= $1 AND r."occurredAt" < $2`,
    [from, to],
  );
  const out: Recount = { total: 0, counts: zero(), byIdentity: new Map(), byNetwork: new Map() };
  for (const r of rows) {
    if (policy.scope?.source && r.source !== policy.scope.source) continue;
    const binding: TokenBinding = r.binding === 'bearer' || r.binding === 'mtls' || r.binding === 'dpop' ? r.binding : 'unknown';
    const { category } = classifyUsage({
      verdict: verdictOfCode(r.verdict),
      missingProof: MISSING_PROOF_REASONS.includes(r.reason ?? ''),
      binding,
      ttlOverLimit: policy.maxTtlSeconds != null && r.ttl !== null && r.ttl > policy.maxTtlSeconds,
      refusedByGateway: r.status !== null && (r.status < 200 || r.status >= 300),
    }, policy.require);
    out.total++;
    out.counts[category]++;
    for (const [m, k] of [[out.byIdentity, r.identity ?? '(unknown identity)'], [out.byNetwork, r.network ?? '(unknown network)']] as const) {
      const c = m.get(k) ?? zero();
      c[category]++;
      m.set(k, c);
    }
  }
  return out;
}

describeReal('simulation on real NGINX traffic', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let logs: { before: string; enforced: string };
  const started = new Date();

  async function drive(g: RunningGateway, tokens: { bound: string; bearer: string }, rounds: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < rounds; i++) {
      for (const c of MTLS_CLIENTS) statuses.push((await g.request(c.path, c.cert, { Authorization: `Bearer ${tokens[c.token]}` })).status);
    }
    return statuses;
  }

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-sim-');
    upstream = await startRecordingUpstream();
    const tokens = mtlsTokens(pki.clients.good.x5t);
    const before = await startLoggingOnlyNginx(NGINX, pki, 'sim-before', upstream.url);
    expect(await drive(before, tokens, BEFORE_ROUNDS)).toEqual(Array(BEFORE_ROUNDS).fill([200, 200, 200, 200]).flat());
    const enforced = await startEnforcingNginx(NGINX, pki, 'sim-enforced', upstream.url, { require: 'mtls' });
    expect(await drive(enforced, tokens, ENFORCED_ROUNDS)).toEqual(Array(ENFORCED_ROUNDS).fill(MTLS_CLIENTS.map((c) => c.enforced.status)).flat());
    logs = { before: await before.stop(), enforced: await enforced.stop() };
  }, 60_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, () => {
      let t: TestDatabase | undefined;
      let range: { from: Date; to: Date };
      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) {
          if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
          return;
        }
        t = await openTestDatabase(runtime);
        for (const [sourceName, log] of [['edge-before', logs.before], ['edge-enforcing', logs.enforced]] as const) {
          const n = log.split('\n').filter(Boolean).length;
          expect(await ingestStream(t.db, [log], { format: 'nginx-json', sourceName, actor: 'test' })).toMatchObject({ accepted: n, rejected: 0 });
        }
        // The access log carries no iat: lifetimes come from the inventory (introspection), as here.
        await t.db.query(`UPDATE "Token" SET "ttlSeconds" = 3600`);
        range = { from: new Date(started.getTime() - 3_600_000), to: new Date(Date.now() + 3_600_000) };
      }, 60_000);
      afterAll(async () => t?.drop());

      it('requiring mtls: the stolen-token replay is an attack stopped, the bound token without its certificate and the bearer token break, what the enforcing gateway refused is already refused', async (ctx) => {
        if (!t) return ctx.skip();
        const policy = parsePolicy({ require: 'mtls' });
        const r = await expectColumnsEqualSql(t.db, { policy, range });
        const B = BEFORE_ROUNDS;
        const E = ENFORCED_ROUNDS;
        expect(r.requests).toEqual({ total: 4 * (B + E), wouldBeRefused: 3 * B, attacksStopped: B, legitimateBroken: 2 * B, alreadyRefused: 3 * E, alreadyInvalid: 0, unaffected: B + E, unknown: 0, sameAttackOtherHops: 0 });
        expect(r.brokenBy).toMatchObject({ bearer: B, bound_without_proof: B, context_stripped: 0, ttl_over_limit: 0 });
        expect(r.identities.map((i) => [i.name, i.wouldBeRefused, i.attacksStopped, i.legitimateBroken, i.alreadyRefused])).toEqual([
          ['svc-a', 2 * B, B, B, 2 * E],
          ['svc-legacy', B, 0, B, E],
        ]);
        const legacy = r.tokens.find((x) => x.identityName === 'svc-legacy')!;
        expect(legacy).toMatchObject({ binding: 'bearer', ttlSeconds: 3600, presented: { certificate: B + E, dpopKey: 0, none: 0 } });
        expect(legacy.name).not.toContain(mtlsTokens(pki.clients.good.x5t).bearer.slice(0, 20));
        expect(r.tokens.find((x) => x.identityName === 'svc-a')).toMatchObject({ binding: 'mtls' });
        // The exemplar is a ledger key of a request that would be refused.
        const ex = r.identities[0]!.exemplarKey!;
        const [row] = await t.db.query<{ verdict: number }>(`SELECT verdict FROM evidence."Request" WHERE "key" = decode($1, 'hex')`, [ex]);
        expect(['bound_not_enforced']).toContain(verdictOfCode(row!.verdict));
      });

      for (const input of [
        { require: 'mtls' },
        { require: 'dpop' },
        { require: 'bound', maxTtlSeconds: 600 },
        { require: 'mtls', scope: { source: 'edge-before' } },
        { require: 'mtls', scope: { identity: { nameGlob: 'svc-l*' } } },
      ]) {
        it(`counts equal a recount of the ledger's requests one by one: ${JSON.stringify(input)}`, async (ctx) => {
          if (!t) return ctx.skip();
          const policy = parsePolicy(input);
          const r = await expectColumnsEqualSql(t.db, { policy, range });
          const direct = await recount(t, policy, new Date(r.range.from), new Date(r.range.to));
          if (policy.scope?.identity) {
            const only = direct.byIdentity.get('svc-legacy')!;
            direct.counts = only;
            direct.total = Object.values(only).reduce((a, b) => a + b, 0);
          }
          expect(r.requests.total).toBe(direct.total);
          expect(r.requests).toMatchObject(direct.counts);
          expect(r.requests.total).toBeGreaterThan(0);
          if (!policy.scope) {
            for (const i of r.identities) expect({ name: i.name, ...pick(i) }).toEqual({ name: i.name, ...direct.byIdentity.get(i.name) });
            for (const n of r.networks) expect({ name: n.name, ...pick(n) }).toEqual({ name: n.name, ...direct.byNetwork.get(n.name) });
            expect(r.identities).toHaveLength(direct.byIdentity.size);
          }
          if (policy.maxTtlSeconds) expect(r.brokenBy.ttl_over_limit).toBe(BEFORE_ROUNDS + ENFORCED_ROUNDS);
        });
      }

      it('refuses an unknown gateway or source with a one-line reason', async (ctx) => {
        if (!t) return ctx.skip();
        await expect(runSimulation(t.db, { policy: parsePolicy({ require: 'mtls', scope: { gateway: 'nope' } }), range })).rejects.toMatchObject({ code: 'validation_failed', message: 'unknown gateway nope: no evidence names it' });
        await expect(runSimulation(t.db, { policy: parsePolicy({ require: 'mtls', scope: { source: 'nope' } }), range })).rejects.toMatchObject({ code: 'validation_failed', message: 'unknown source nope' });
        await expect(runSimulation(t.db, { policy: parsePolicy({ require: 'mtls' }), range: { from: range.to, to: range.from } })).rejects.toMatchObject({ code: 'validation_failed', details: { reason: 'inverted_range' } });
      });

      describe('drill-down from a network or route row', () => {
        // One more client network, ingested here (after the counts above): a request of the
        // logging-only run as if from 198.51.100.7, under a source of its own.
        beforeAll(async () => {
          if (!t) return;
          const line = logs.before.split('\n').find(Boolean)!;
          const moved = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(line) as Record<string, unknown>).map(([k, v]) => [k, v === '127.0.0.1' ? '198.51.100.7' : v])));
          expect(moved).toContain('198.51.100.7');
          expect(await ingestStream(t.db, [moved + '\n'], { format: 'nginx-json', sourceName: 'edge-other', actor: 'test' })).toMatchObject({ accepted: 1, rejected: 0 });
        });

        // The Simulate page's drill-down (issue #17): a network or route row's link lists the requests
        // it counts, read with the link's own parameters (the policy's source and route prefix, the
        // simulation's whole-hour range) through the list's query schema.
        for (const input of [{ require: 'mtls' }, { require: 'mtls', scope: { source: 'edge-before' } }, { require: 'dpop', scope: { source: 'edge-enforcing', routePrefix: '/api/b' } }]) {
          it(`a network or route row's requests list holds exactly the row's requests: ${JSON.stringify(input)}`, async (ctx) => {
            if (!t) return ctx.skip();
            const policy = parsePolicy(input);
            const r = await expectColumnsEqualSql(t.db, { policy, range });
            const link = (p: Record<string, string>, failures = 'all') =>
              parseEventFilters({ failures, ...p, source: policy.scope?.source ?? undefined, routePrefix: policy.scope?.routePrefix ?? undefined, from: r.range.from, to: r.range.to }, 500);
            const rowsOf = async (p: Record<string, string>, failures?: string) => (await listEvents(t!.db, link(p, failures), {})).items;
            expect(r.networks.length).toBe(policy.scope ? 1 : 2);
            expect(r.routes.length).toBeGreaterThan(input.scope?.routePrefix ? 1 : 3);
            for (const n of r.networks) {
              expect(n.name).not.toBe(UNKNOWN_NETWORK);
              const listed = await rowsOf({ network: n.name });
              expect({ network: n.name, n: listed.length }).toEqual({ network: n.name, n: n.total });
              expect(new Set(listed.map((e) => e.clientNetwork))).toEqual(new Set([n.name]));
              if (policy.scope?.source) expect(new Set(listed.map((e) => e.source))).toEqual(new Set([policy.scope.source]));
            }
            let routed = 0;
            for (const x of r.routes) {
              expect(x.name).not.toBe(UNKNOWN_ROUTE);
              const listed = await rowsOf({ route: x.name });
              expect({ route: x.name, n: listed.length }).toEqual({ route: x.name, n: x.total });
              expect(new Set(listed.map((e) => e.route))).toEqual(new Set([x.name]));
              // Its failures: every listed request but the ok ones (the row's refused ones include ok bearer requests, which no failures list holds).
              const failed = await rowsOf({ route: x.name }, 'any');
              expect(failed.map((e) => e.id).sort()).toEqual(listed.filter((e) => e.verdict !== 'ok').map((e) => e.id).sort());
              routed += listed.length;
            }
            expect(routed).toBe(r.requests.total);
          });
        }

        it('lists nothing for a network or route no request had, and refuses a network with /bits or a route without its space', async (ctx) => {
          if (!t) return ctx.skip();
          const from = range.from.toISOString();
          expect((await listEvents(t.db, parseEventFilters({ failures: 'all', network: '100.64.255.0', from }), {})).items).toEqual([]);
          expect((await listEvents(t.db, parseEventFilters({ failures: 'all', route: 'nowhere.test /api', from }), {})).items).toEqual([]);
          expect((await listEvents(t.db, parseEventFilters({ failures: 'all', routePrefix: '/nowhere', from }), {})).items).toEqual([]);
          expect(() => parseEventFilters({ network: '127.0.0.0/8' })).toThrow(/^network must be a client network/);
          expect(() => parseEventFilters({ route: 'localhost/api' })).toThrow(/^route must be a route/);
        });

        // Last: it rewrites the notable rows as a version before issue #17 kept them.
        it('a route prefix finds a failure kept before notable rows had their route by its URL, as a rollout plan does', async (ctx) => {
          if (!t) return ctx.skip();
          const byPrefix = async () =>
            (await listEvents(t!.db, parseEventFilters({ failures: 'any', routePrefix: '/api/stolen-other-cert', from: range.from.toISOString() }, 500), {})).items.map((e) => e.id).sort();
          const kept = await byPrefix();
          expect(kept).toHaveLength(BEFORE_ROUNDS + ENFORCED_ROUNDS);
          await t.db.query(`UPDATE evidence."Notable" SET "route" = NULL, "network" = NULL`);
          expect(await byPrefix()).toEqual(kept);
        });
      });
    });
  }
});

function pick(c: Record<SimulationCategory, number>): Record<SimulationCategory, number> {
  return { attacksStopped: c.attacksStopped, legitimateBroken: c.legitimateBroken, alreadyRefused: c.alreadyRefused, alreadyInvalid: c.alreadyInvalid, unaffected: c.unaffected, unknown: c.unknown, sameAttackOtherHops: c.sameAttackOtherHops };
}
