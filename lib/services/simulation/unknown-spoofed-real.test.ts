// Two things a simulation must not call harmless (issue #17), on real gateway lines, both runtimes:
//  - Caddy 2.6 logs `"Authorization":[]` (redacted): no token is seen, every request reads
//    ok / binding_unknown. Requiring mTLS over them cannot be judged: they are `unknown`, never
//    `unaffected`, and the answer (service, CLI with --json on stderr) says why, once.
//  - BB1's owner-ids chains (HAProxy and NGINX edges that passed a forged Client-Cert /
//    X-SSL-Client-Cert to an Apache backend, lines unedited): the backend compared the token with the
//    forged certificate and said ok; only the chain verdict is spoofed_client_cert. Each such request
//    is one attack stopped, counted once: at the backend's line, or at the edge's when only the edge
//    is in scope. With every hop in scope the edge's line of it is the same attack at another hop
//    (sameAttackOtherHops), never a legitimate client breaking; rollout plans read it the same way.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simulateCommand } from '../../cli/commands/simulate.ts';
import type { CommandContext } from '../../cli/command.ts';
import { parsePolicy, type ImpactRow, type SimulationResult } from '../../simulate/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { listEvents, parseEventFilters, type EventRow } from '../estate/lists.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { createPlan, getPlan } from '../plans/index.ts';
import { CADDY_EDGE_REDACTED_LINES } from '../ingest/testing/caddy-redacted-lines.ts';
import { expectColumnsEqualSql } from '../../testing/simulation-engines.ts';

const bb1 = new URL('../evidence/testing/bb1-chains/owner-ids/', import.meta.url);
const text = (f: string) => readFileSync(new URL(f, bb1), 'utf8');
/** After the BB1 run (04:46–04:51 UTC): its tokens still live. */
const BB1_NOW = new Date('2026-12-06T05:00:00Z');
const BB1_RANGE = { from: new Date('2026-12-06T04:00:00Z'), to: new Date('2026-12-06T06:00:00Z') };
/** The Caddy lines were written at 08:20 UTC. */
const CADDY_RANGE = { from: new Date('2026-12-06T08:00:00Z'), to: new Date('2026-12-06T09:00:00Z') };
const OWNER_IDS = [
  { file: 'hap_edge_owner.log', source: 'hap-edge-owner', format: 'haproxy', config: 'hap_edge_owner.cfg' },
  { file: 'apache_backend.log', source: 'apache-backend', format: 'apache', config: 'apache.conf' },
  { file: 'apache_backend_from_ngx.log', source: 'apache-backend', format: 'apache', config: 'apache.conf' },
  { file: 'ngx_edge_owner.log', source: 'ngx-edge-owner', format: 'nginx', config: 'nginx.conf', logFormat: 'edge_owner' },
] as const;

/** `holdfast simulate … --json` run in process against `t`: stdout parsed, stderr lines. */
async function cli(t: TestDatabase, args: Record<string, string>): Promise<{ out: SimulationResult; err: string[] }> {
  let out = '';
  const err: string[] = [];
  const ctx: CommandContext = {
    io: { json: true, debug: false, out: (s) => (out += s), err: (s) => err.push(s) },
    values: args, positionals: [], remote: null,
    withDb: (fn) => fn(t.db),
  };
  await simulateCommand.run(ctx);
  return { out: JSON.parse(out) as SimulationResult, err };
}

/** The BB1 chain lines as the events list shows them, one per hop. */
async function bb1Lines(t: TestDatabase): Promise<EventRow[]> {
  const lines = (await listEvents(t.db, parseEventFilters({ from: BB1_RANGE.from.toISOString(), to: BB1_RANGE.to.toISOString() }, 500), {})).items;
  return lines.filter((e) => OWNER_IDS.some((l) => l.source === e.source));
}

type Counts = SimulationResult['requests'];
const pickCounts = (c: Counts): Counts => ({
  total: c.total, wouldBeRefused: c.wouldBeRefused, attacksStopped: c.attacksStopped, legitimateBroken: c.legitimateBroken,
  alreadyRefused: c.alreadyRefused, alreadyInvalid: c.alreadyInvalid, unaffected: c.unaffected, unknown: c.unknown, sameAttackOtherHops: c.sameAttackOtherHops,
});

/**
 * Requiring mTLS over BB1's lines, counted by hand, one line at a time: every token there is
 * mTLS-bound (cnf x5t#S256) and every line was answered 200. A line of a spoofed path
 * (chainVerdict) is the path's one attack at the Apache backend, the hop that received the forged
 * certificate, and the same attack seen at another hop at the edge; any other line is unaffected when
 * its own verdict is ok (the bound token came with its certificate).
 */
function countByHand(lines: EventRow[]) {
  const zero = (): Counts => ({ total: 0, wouldBeRefused: 0, attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, unaffected: 0, unknown: 0, sameAttackOtherHops: 0 });
  const out = { all: zero(), identity: {} as Record<string, Counts>, token: {} as Record<string, Counts>, route: {} as Record<string, Counts>, network: {} as Record<string, Counts> };
  const paths = new Map<string, EventRow[]>();
  for (const l of lines) paths.set(l.correlationId!, [...(paths.get(l.correlationId!) ?? []), l]);
  for (const l of lines) {
    expect(l.httpStatus).toBe(200);
    let category: 'attacksStopped' | 'sameAttackOtherHops' | 'unaffected';
    if (l.chainVerdict === 'spoofed_client_cert') {
      expect(paths.get(l.correlationId!)!.filter((x) => x.source === 'apache-backend')).toHaveLength(1);
      category = l.source === 'apache-backend' ? 'attacksStopped' : 'sameAttackOtherHops';
    } else {
      expect(l.verdict).toBe('ok');
      category = 'unaffected';
    }
    const rows = [out.all, (out.identity[l.identity!] ??= zero()), (out.token[`${l.tokenFingerprint!.slice(0, 10)}…`] ??= zero()), (out.route[l.route!] ??= zero()), (out.network[l.clientNetwork!] ??= zero())];
    for (const c of rows) {
      c.total++;
      c[category]++;
      c.wouldBeRefused = c.attacksStopped + c.legitimateBroken;
    }
  }
  return out;
}

for (const runtime of RUNTIMES) {
  describe(`simulation of unknown and spoofed traffic (${runtime})`, () => {
    let t: TestDatabase | undefined;

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      const caddy = await ingestStream(t.db, [`${CADDY_EDGE_REDACTED_LINES.join('\n')}\n`], { format: 'caddy', sourceName: 'caddy-edge', actor: 'test' });
      expect(caddy).toMatchObject({ accepted: 4, rejected: 0 });
      for (const l of OWNER_IDS) {
        const r = await ingestStream(t.db, [text(l.file)], {
          format: l.format, sourceName: l.source, actor: 'test', now: () => BB1_NOW, gatewayConfig: text(l.config), ...('logFormat' in l ? { logFormat: l.logFormat } : {}),
        });
        expect(r.rejected, l.file).toBe(0);
      }
    }, 120_000);
    afterAll(async () => t?.drop());

    it('Caddy with a redacted Authorization: requiring mTLS cannot be judged — every request unknown, none unaffected, said once', async (ctx) => {
      if (!t) return ctx.skip();
      const r = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls', scope: { source: 'caddy-edge' } }), range: CADDY_RANGE });
      expect(r.requests).toEqual({ total: 4, wouldBeRefused: 0, attacksStopped: 0, legitimateBroken: 0, alreadyRefused: 0, alreadyInvalid: 0, unaffected: 0, unknown: 4, sameAttackOtherHops: 0 });
      expect(r.warnings).toHaveLength(1);
      expect(r.warnings[0]).toMatch(/^4 of 4 requests cannot be judged: the log shows no token/);
      // Per identity (the certificate's common name Caddy logged) and per route, the same.
      expect(r.identities.map((i) => [i.name, i.total, i.unknown, i.unaffected]).sort()).toEqual([['(unknown identity)', 1, 1, 0], ['svc-alpha', 2, 2, 0], ['svc-bravo', 1, 1, 0]]);
      expect(r.routes.reduce((n, x) => n + x.unknown, 0)).toBe(4);
      expect(r.routes.every((x) => x.unaffected === 0)).toBe(true);
    });

    it('a rollout plan over the Caddy estate puts no identity whose every request is unknown in the already compliant wave', async (ctx) => {
      if (!t) return ctx.skip();
      const saved = await createPlan(t.db, { policy: { require: 'mtls', scope: { source: 'caddy-edge' } }, from: CADDY_RANGE.from, to: CADDY_RANGE.to, actor: 'test' });
      const plan = (await getPlan(t.db, saved.id)).plan;
      const waveOf = Object.fromEntries(plan.waves.flatMap((w) => w.identities.map((i) => [i.name, [w.wave, i.reason, i.requests.unknown]])));
      expect(waveOf).toEqual({ 'svc-alpha': [2, 'traffic_unknown', 2], 'svc-bravo': [2, 'traffic_unknown', 1] });
      expect(plan.waves.find((w) => w.wave === 0)?.identities ?? []).toEqual([]);
    });

    it('the CLI with --json: the same counts on stdout, the reason once on stderr', async (ctx) => {
      if (!t) return ctx.skip();
      const { out, err } = await cli(t, { require: ['mtls'] as unknown as string, source: 'caddy-edge', from: CADDY_RANGE.from.toISOString(), to: CADDY_RANGE.to.toISOString() });
      expect(out.requests).toMatchObject({ total: 4, wouldBeRefused: 0, unaffected: 0, unknown: 4, sameAttackOtherHops: 0 });
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^warning: 4 of 4 requests cannot be judged: .*\n$/);
    });

    it('a forged client certificate only the chain verdict names is an attack stopped, once per request: at the backend, or at the edge when it alone is in scope', async (ctx) => {
      if (!t) return ctx.skip();
      // What a security engineer counts: the requests whose path is spoofed_client_cert, one each.
      const spoofed = (await listEvents(t.db, parseEventFilters({ verdict: 'spoofed_client_cert', from: BB1_RANGE.from.toISOString(), to: BB1_RANGE.to.toISOString() }, 500), {})).items;
      const atBackend = spoofed.filter((e) => e.source === 'apache-backend');
      expect(atBackend).toHaveLength(4);
      expect(atBackend.every((e) => e.verdict === 'ok')).toBe(true);
      const backend = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls', scope: { source: 'apache-backend' } }), range: BB1_RANGE });
      expect(backend.requests).toMatchObject({ total: 6, attacksStopped: 4, legitimateBroken: 0, unaffected: 2, unknown: 0 });
      expect(backend.identities.map((i) => [i.name, i.total, i.attacksStopped, i.unaffected])).toEqual([['svc-a', 6, 4, 2]]);
      // One edge alone: the forged headers it passed are its own lines' attacks (2 through each edge);
      // its owner's request stays unaffected.
      for (const source of ['hap-edge-owner', 'ngx-edge-owner']) {
        const edge = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls', scope: { source } }), range: BB1_RANGE });
        expect(edge.requests, source).toMatchObject({ total: 3, attacksStopped: 2, legitimateBroken: 0, unaffected: 1 });
      }
      // Every hop: each line is one request of total (12 lines of 6 requests), the 4 forged paths 4 attacks, not 8.
      const all = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls' }), range: BB1_RANGE });
      expect(all.requests).toMatchObject({ total: 12, attacksStopped: 4, unknown: 0 });
    });

    it('every hop in scope: a forged path is one attack, its edge line the same attack at another hop (never a legitimate client breaking), in the totals and every row, as counted by hand from the lines', async (ctx) => {
      if (!t) return ctx.skip();
      const lines = await bb1Lines(t);
      expect(lines).toHaveLength(12);
      const byHand = countByHand(lines);
      const all = await expectColumnsEqualSql(t.db, { policy: parsePolicy({ require: 'mtls' }), range: BB1_RANGE });
      expect(all.requests).toEqual(byHand.all);
      expect(all.requests).toMatchObject({ total: 12, attacksStopped: 4, legitimateBroken: 0, sameAttackOtherHops: 4, unaffected: 4 });
      const rows = (r: ImpactRow[]) => Object.fromEntries(r.map((x) => [x.name, pickCounts(x)]));
      expect(rows(all.identities)).toEqual(byHand.identity);
      expect(rows(all.tokens)).toEqual(byHand.token);
      expect(rows(all.routes)).toEqual(byHand.route);
      expect(rows(all.networks)).toEqual(byHand.network);
      // The CLI's --json: the same counts, the contract's fields plus the added ones.
      const { out } = await cli(t, { require: ['mtls'] as unknown as string, from: BB1_RANGE.from.toISOString(), to: BB1_RANGE.to.toISOString() });
      expect(out.requests).toEqual(byHand.all);
    });

    it('a rollout plan and its progress over every hop read the forged paths as the simulation does: no identity broken by them, none compliant while they get through', async (ctx) => {
      if (!t) return ctx.skip();
      const byHand = countByHand(await bb1Lines(t)).identity['svc-a']!;
      // Saved at the start of the range, so its progress reads the same lines.
      const saved = await createPlan(t.db, { policy: { require: 'mtls' }, from: BB1_RANGE.from, to: BB1_RANGE.to, actor: 'test', now: () => BB1_RANGE.from });
      const { plan, progress } = await getPlan(t.db, saved.id, BB1_RANGE.to);
      const svcA = plan.waves.flatMap((w) => w.identities.map((i) => ({ ...i, inWave: w.wave }))).find((i) => i.name === 'svc-a')!;
      expect(svcA.requests).toEqual({
        total: byHand.total, wouldBeRefused: byHand.wouldBeRefused, attacksStopped: byHand.attacksStopped, legitimateBroken: byHand.legitimateBroken,
        alreadyRefused: byHand.alreadyRefused, alreadyInvalid: byHand.alreadyInvalid, unknown: byHand.unknown, sameAttackOtherHops: byHand.sameAttackOtherHops,
      });
      // Enforcing mTLS breaks nothing legitimate for svc-a: it only stops the attacks.
      expect(svcA.inWave).toBe(0);
      const wave = progress.waves.find((w) => w.wave === svcA.inWave)!;
      expect(wave.requests).toEqual({ total: byHand.total, compliant: byHand.unaffected, wouldBeRefused: byHand.wouldBeRefused, refusedByGateway: byHand.alreadyRefused });
      expect(wave).toMatchObject({ identities: 1, compliant: 0, enforced: false });
    });
  });
}
