// POST /api/v1/simulations on both runtimes over a captured NGINX mTLS log, and `holdfast simulate`
// against it: the handler answers the simulation; every bad input is a 4xx problem with a one-line
// reason, never a 500; the CLI gives the same JSON locally and with --server (an HTTP server in
// this process serving the real handler), and exit 2 with one line for bad flags.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import type { CommandContext } from '@/lib/cli/command.ts';
import { simulateCommand } from '@/lib/cli/commands/simulate.ts';
import { main } from '@/lib/cli/main.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { ingestStream } from '@/lib/services/ingest/pipeline.ts';
import type { SimulationResult } from '@/lib/simulate/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { POST } from './route.ts';

const LOG = readFileSync(new URL('../../../../lib/services/evidence/testing/nginx-mtls.jsonl', import.meta.url), 'utf8');
const FROM = '2026-12-04T10:00:00Z';
const TO = '2026-12-04T11:00:00Z';

function withoutTiming(r: SimulationResult): Omit<SimulationResult, 'tookMs'> {
  const { tookMs: _t, ...rest } = r;
  return rest;
}

for (const runtime of RUNTIMES) {
  describe(`/api/v1/simulations and holdfast simulate on ${runtime}`, { timeout: 120_000 }, () => {
    let t: TestDatabase | undefined;
    let key = '';
    let server: Server | undefined;
    let baseUrl = '';
    const post = (body: unknown, k = key) =>
      POST(new Request('http://localhost:3000/api/v1/simulations', { method: 'POST', headers: { host: 'localhost:3000', authorization: `Bearer ${k}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }));

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      key = (await createApiKey(t.db, { name: 'analyst', role: 'analyst', actor: 'test' })).key;
      await ingestStream(t.db, [LOG], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
      // The real handler behind a real HTTP listener, for the CLI's --server path.
      server = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const r = await POST(new Request(`http://localhost${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks) }));
        res.writeHead(r.status, Object.fromEntries(r.headers));
        res.end(Buffer.from(await r.arrayBuffer()));
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      registerDatabase(undefined);
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      await t?.drop();
    });

    it('answers the simulation: categories add up, identities ranked by impact', async (ctx) => {
      if (!t) return ctx.skip();
      const res = await post({ policy: { require: 'mtls' }, from: FROM, to: TO });
      expect(res.status).toBe(200);
      const r = (await res.json()) as SimulationResult;
      const q = r.requests;
      expect(q.total).toBeGreaterThan(0);
      expect(q.wouldBeRefused).toBe(q.attacksStopped + q.legitimateBroken);
      // Requests with no known token are their own count (unknown), never unaffected; the answer says why, once.
      expect(q.total).toBe(q.wouldBeRefused + q.alreadyRefused + q.alreadyInvalid + q.unaffected + q.unknown + q.sameAttackOtherHops);
      expect(r.warnings).toHaveLength(q.unknown > 0 ? 1 : 0);
      expect(r.identities.reduce((s, i) => s + i.total, 0)).toBe(q.total);
      for (let i = 1; i < r.identities.length; i++) expect(r.identities[i - 1]!.wouldBeRefused).toBeGreaterThanOrEqual(r.identities[i]!.wouldBeRefused);
      expect(r.range).toEqual({ from: '2026-12-04T10:00:00.000Z', to: '2026-12-04T11:00:00.000Z' });
    });

    const BAD: { name: string; body: unknown; status: number; detail: RegExp }[] = [
      { name: 'no requirement', body: { policy: {}, from: FROM, to: TO }, status: 422, detail: /^policy\.require: must be one of mtls, dpop, bound \(got nothing\)$/ },
      { name: 'conflicting requirements', body: { policy: { require: ['mtls', 'dpop'] }, from: FROM, to: TO }, status: 422, detail: /^policy\.require: conflicting requirements/ },
      { name: 'an unknown selector', body: { policy: { require: 'mtls', scope: { colour: 'red' } }, from: FROM, to: TO }, status: 422, detail: /^policy\.scope: unknown selector scope\.colour/ },
      { name: 'privileged that is not a boolean', body: { policy: { require: 'mtls', scope: { identity: { privileged: 'yes' } } }, from: FROM, to: TO }, status: 422, detail: /^policy\.scope\.identity\.privileged: must be true or false$/ },
      { name: 'an unknown source', body: { policy: { require: 'mtls', scope: { source: 'nowhere' } }, from: FROM, to: TO }, status: 422, detail: /^unknown source nowhere$/ },
      { name: 'an unknown gateway', body: { policy: { require: 'mtls', scope: { gateway: 'nowhere' } }, from: FROM, to: TO }, status: 422, detail: /^unknown gateway nowhere/ },
      { name: 'an inverted range', body: { policy: { require: 'mtls' }, from: TO, to: FROM }, status: 422, detail: /^the range is inverted/ },
      { name: 'an empty range', body: { policy: { require: 'mtls' }, from: FROM, to: FROM }, status: 422, detail: /^the range is empty/ },
      { name: 'a date that is not one', body: { policy: { require: 'mtls' }, from: 'yesterday', to: TO }, status: 422, detail: /from/ },
      { name: 'a policy that is not an object', body: { policy: 'mtls', from: FROM, to: TO }, status: 422, detail: /policy/ },
      { name: 'an unknown body field', body: { policy: { require: 'mtls' }, from: FROM, to: TO, save: true }, status: 422, detail: /save|Unrecognized/ },
    ];
    for (const { name, body, status, detail } of BAD) it(`refuses ${name} with ${status} and a one-line reason`, async (ctx) => {
      if (!t) return ctx.skip();
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const p = (await res.json()) as { detail?: string; errors?: { path: string; message: string }[] };
      const line = p.detail ?? p.errors?.map((e) => `${e.path} ${e.message}`).join('; ') ?? '';
      expect(line).not.toContain('\n');
      expect(line).toMatch(detail);
    });

    it('refuses a request without a key (401)', async (ctx) => {
      if (!t) return ctx.skip();
      expect((await post({ policy: { require: 'mtls' }, from: FROM, to: TO }, 'hf_nope')).status).toBe(401);
    });

    it('the CLI takes every selector of the policy as a flag: the same answer as the API, locally and with --server', async (ctx) => {
      if (!t) return ctx.skip();
      const flags = { require: ['mtls'], source: 'edge', kind: 'service', identity: 'svc-*', privileged: 'false', from: FROM, to: TO };
      const run = async (values: CommandContext['values'], remote: CommandContext['remote']) => {
        let out = '';
        await simulateCommand.run({ io: { json: true, debug: false, out: (s) => (out += s), err: () => {} }, values, positionals: [], remote, withDb: (fn) => fn(t!.db) });
        return withoutTiming(JSON.parse(out) as SimulationResult);
      };
      const policy = { require: 'mtls', scope: { source: 'edge', identity: { kind: 'service', nameGlob: 'svc-*', privileged: false } } };
      const api = withoutTiming((await (await post({ policy, from: FROM, to: TO })).json()) as SimulationResult);
      expect(api.policy).toEqual(policy);
      expect(api.requests.total).toBeGreaterThan(0);
      expect(await run(flags, null)).toEqual(api);
      expect(await run(flags, { baseUrl, apiKey: key, dpop: null })).toEqual(api);
      // An audience no token has, and privileged tokens (none here): nothing in scope.
      expect((await run({ ...flags, audience: 'no-such-api' }, null)).requests.total).toBe(0);
      expect((await run({ ...flags, privileged: 'true' }, null)).requests.total).toBe(0);
    });

    it('the CLI gives the same JSON locally and with --server', async (ctx) => {
      if (!t) return ctx.skip();
      const run = async (remote: CommandContext['remote']) => {
        let out = '';
        await simulateCommand.run({
          io: { json: true, debug: false, out: (s) => (out += s), err: () => {} },
          values: { require: ['mtls'], 'max-ttl': '600', from: FROM, to: TO },
          positionals: [],
          remote,
          withDb: (fn) => fn(t!.db),
        });
        return JSON.parse(out) as SimulationResult;
      };
      const local = await run(null);
      const remote = await run({ baseUrl, apiKey: key, dpop: null });
      expect(local.requests.total).toBeGreaterThan(0);
      expect(withoutTiming(remote)).toEqual(withoutTiming(local));
      expect(Object.keys(local.requests)).toEqual(expect.arrayContaining(['total', 'wouldBeRefused', 'attacksStopped', 'legitimateBroken', 'alreadyRefused', 'alreadyInvalid']));
      expect(Object.keys(local.identities[0]!)).toEqual(expect.arrayContaining(['name', 'wouldBeRefused', 'attacksStopped', 'legitimateBroken']));
    });
  });
}

describe('holdfast simulate refuses bad flags with exit 2 and one line', () => {
  it.each([
    [['simulate'], /--require is required/],
    [['simulate', '--require', 'mtls', '--require', 'dpop'], /conflicting requirements/],
    [['simulate', '--require', 'tls'], /require must be one of mtls, dpop, bound/],
    [['simulate', '--require', 'mtls', '--max-ttl', 'ten'], /--max-ttl must be a whole number/],
    [['simulate', '--require', 'mtls', '--from', '2026-12-02T00:00:00Z', '--to', '2026-12-01T00:00:00Z'], /the range is inverted/],
    [['simulate', '--require', 'mtls', '--from', 'yesterday'], /--from must be an ISO 8601/],
    [['simulate', '--require', 'mtls', '--route', 'a b'], /routePrefix must be host\/path/],
    [['simulate', '--require', 'mtls', '--colour', 'red'], /Unknown option '--colour'/],
    [['simulate', '--require', 'mtls', '--privileged', 'yes'], /--privileged must be true or false/],
    [['simulate', '--require', 'mtls', '--kind', 'robot'], /unknown identity kind "robot" \(known: /],
    [['simulate', '--require', 'mtls', '--source', ' '], /--source must not be empty/],
    [['simulate', '--require', 'mtls', '--audience', 'a\u0001b'], /scope\.audience must be a non-empty text/],
  ])('%j', async (argv, reason) => {
    let err = '';
    const code = await main([...argv, '--json'], { out: () => {}, err: (s) => (err += s) });
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(reason);
  });
});
