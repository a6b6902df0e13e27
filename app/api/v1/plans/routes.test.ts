// The /api/v1/plans handlers on both runtimes over a captured NGINX mTLS log: a plan is created
// (201, Location), listed, read with progress, exported, its wave configuration downloaded; every
// bad input is a 4xx problem with a one-line reason, never a 500.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { ingestStream } from '@/lib/services/ingest/pipeline.ts';
import { simulate } from '@/lib/services/simulation/index.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { GET as getOne } from './[id]/route.ts';
import { GET as exportOne } from './[id]/export/route.ts';
import { GET as waveConfig } from './[id]/waves/[n]/config/route.ts';
import { GET as list, POST as create } from './route.ts';

const LOG = readFileSync(new URL('../../../../lib/services/evidence/testing/nginx-mtls.jsonl', import.meta.url), 'utf8');
const FROM = '2026-12-04T10:00:00Z';
const TO = '2026-12-04T11:00:00Z';

for (const runtime of RUNTIMES) {
  describe(`/api/v1/plans on ${runtime}`, { timeout: 120_000 }, () => {
    let t: TestDatabase | undefined;
    let key = '';
    const headers = () => ({ host: 'localhost:3000', authorization: `Bearer ${key}` });
    const post = (body: unknown) => create(new Request('http://localhost:3000/api/v1/plans', { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify(body) }));
    const get = (handler: typeof getOne, url: string, params: Record<string, string>) => handler(new Request(`http://localhost:3000/api/v1${url}`, { headers: headers() }), { params: Promise.resolve(params as { id: string }) });

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      key = (await createApiKey(t.db, { name: 'planner', role: 'operator', actor: 'test' })).key;
      await ingestStream(t.db, [LOG], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
    });
    afterAll(async () => {
      registerDatabase(undefined);
      await t?.drop();
    });

    it('creates, lists, reads with progress, exports and downloads a wave configuration', async (ctx) => {
      if (!t) return ctx.skip();
      const res = await post({ policy: { require: 'mtls', maxTtlSeconds: 900 }, from: FROM, to: TO, exceptions: [{ identity: 'svc-z*', reason: 'vendor appliance' }] });
      expect(res.status).toBe(201);
      const saved = (await res.json()) as { id: string; waves: { wave: number; identities: number }[]; totals: { requests: number } };
      expect(res.headers.get('location')).toBe(`/api/v1/plans/${saved.id}`);
      expect(saved.waves.map((w) => w.wave)).toEqual([0, 1, 2, 3]);
      expect(saved.totals.requests).toBeGreaterThan(0);
      expect(saved.waves.reduce((s, w) => s + w.identities, 0)).toBeGreaterThan(0);

      const listed = (await (await list(new Request('http://localhost:3000/api/v1/plans?limit=5', { headers: headers() }))).json()) as { items: { id: string }[] };
      expect(listed.items.map((i) => i.id)).toContain(saved.id);
      const one = (await (await get(getOne, `/plans/${saved.id}`, { id: saved.id })).json()) as { plan: { waves: unknown[] }; progress: { waves: unknown[] }; history: unknown[] };
      expect(one.plan.waves).toHaveLength(4);
      expect(one.progress.waves).toHaveLength(4);
      expect(one.history.length).toBeGreaterThanOrEqual(1);

      const csv = await get(exportOne, `/plans/${saved.id}/export?format=csv`, { id: saved.id });
      expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="holdfast-plan-[0-9a-f]{8}\.csv"$/);
      const pdf = await get(exportOne, `/plans/${saved.id}/export?format=pdf`, { id: saved.id });
      expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');

      const conf = await waveConfig(new Request(`http://localhost:3000/api/v1/plans/${saved.id}/waves/1/config?gateway=nginx&upstream=http://10.0.0.5:8080`, { headers: headers() }), { params: Promise.resolve({ id: saved.id, n: '1' }) });
      expect(conf.status).toBe(200);
      expect(conf.headers.get('content-disposition')).toMatch(/wave-1-nginx\.conf"$/);
      expect(await conf.text()).toContain('proxy_pass http://10.0.0.5:8080;');
      const kc = await waveConfig(new Request(`http://localhost:3000/api/v1/plans/${saved.id}/waves/2/config?authorizationServer=keycloak`, { headers: headers() }), { params: Promise.resolve({ id: saved.id, n: '2' }) });
      expect(await kc.text()).toMatch(/^# Keycloak - wave 2/);
    });

    const BAD_BODIES: { name: string; body: unknown; status: number; detail: RegExp }[] = [
      { name: 'no requirement', body: { policy: {}, from: FROM, to: TO }, status: 422, detail: /require/ },
      { name: 'an unknown requirement', body: { policy: { require: 'both' }, from: FROM, to: TO }, status: 422, detail: /require/ },
      { name: 'an unknown selector', body: { policy: { require: 'mtls', scope: { colour: 'red' } }, from: FROM, to: TO }, status: 422, detail: /^policy\.scope: unknown selector scope\.colour \(known: gateway, source, routePrefix, identity, audience\)/ },
      { name: 'an unknown identity selector', body: { policy: { require: 'mtls', scope: { identity: { team: 'a' } } }, from: FROM, to: TO }, status: 422, detail: /^policy\.scope\.identity: unknown selector scope\.identity\.team/ },
      { name: 'privileged that is not a boolean', body: { policy: { require: 'mtls', scope: { identity: { privileged: 'yes' } } }, from: FROM, to: TO }, status: 422, detail: /^policy\.scope\.identity\.privileged: must be true or false / },
      { name: 'conflicting requirements', body: { policy: { require: ['mtls', 'dpop'] }, from: FROM, to: TO }, status: 422, detail: /^policy\.require: conflicting requirements/ },
      { name: 'an unknown source', body: { policy: { require: 'mtls', scope: { source: 'nowhere' } }, from: FROM, to: TO }, status: 422, detail: /^unknown source nowhere / },
      { name: 'an unknown gateway', body: { policy: { require: 'mtls', scope: { gateway: 'nowhere' } }, from: FROM, to: TO }, status: 422, detail: /^unknown gateway nowhere: no evidence names it / },
      { name: 'an unknown identity kind', body: { policy: { require: 'mtls', scope: { identity: { kind: 'robot' } } }, from: FROM, to: TO }, status: 422, detail: /kind/ },
      { name: 'a route with a quote', body: { policy: { require: 'mtls', scope: { routePrefix: 'api.test/"x' } }, from: FROM, to: TO }, status: 422, detail: /routePrefix/ },
      { name: 'an inverted range', body: { policy: { require: 'mtls' }, from: TO, to: FROM }, status: 422, detail: /from must be before to/ },
      { name: 'an empty range', body: { policy: { require: 'mtls' }, from: FROM, to: FROM }, status: 422, detail: /empty or inverted/ },
      { name: 'a date that is not one', body: { policy: { require: 'mtls' }, from: 'yesterday', to: TO }, status: 422, detail: /from/ },
      { name: 'a scope without evidence', body: { policy: { require: 'mtls', scope: { audience: 'no-such-api' } }, from: FROM, to: TO }, status: 422, detail: /nothing to plan/ },
    ];
    for (const { name, body, status, detail } of BAD_BODIES) it(`refuses ${name} with ${status}`, async (ctx) => {
      if (!t) return ctx.skip();
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const p = (await res.json()) as { detail?: string; errors?: { path: string }[] };
      expect(`${p.detail} ${JSON.stringify(p.errors ?? [])}`).toMatch(detail);
      // One line a person can act on (the plan form shows it).
      expect(p.detail).toMatch(/^[^\n]+$/);
    });

    it('carries every selector of the policy: saved as given, the same requests as the simulation of that scope', async (ctx) => {
      if (!t) return ctx.skip();
      const policy = { require: 'mtls', maxTtlSeconds: 900, scope: { source: 'edge', identity: { kind: 'service', nameGlob: 'svc-*', privileged: false } } };
      const res = await post({ policy, from: FROM, to: TO });
      expect(res.status).toBe(201);
      const saved = (await res.json()) as { id: string; name: string; policy: unknown; totals: { requests: number; wouldBeRefused: number } };
      expect(saved.policy).toEqual(policy);
      expect(saved.name).toBe('Require mtls, TTL <= 900 s on source edge, service identities, identities svc-*, unprivileged tokens');
      const sim = await simulate(t.db, { policy, from: new Date(FROM), to: new Date(TO) });
      expect(saved.totals).toMatchObject({ requests: sim.requests.total, wouldBeRefused: sim.requests.wouldBeRefused });
      const one = (await (await get(getOne, `/plans/${saved.id}`, { id: saved.id })).json()) as { plan: { policy: unknown } };
      expect(one.plan.policy).toEqual(policy);
    });

    it('refuses bad downloads: unknown plan 404, wave 7 400, both or neither target 400, wave 3 422, an unsafe upstream 422, format doc 400', async (ctx) => {
      if (!t) return ctx.skip();
      const [plan] = (await t.db.prisma.rolloutPlan.findMany({ select: { id: true } }));
      const id = plan!.id;
      const cfg = (n: string, qs: string, pid = id) => waveConfig(new Request(`http://localhost:3000/api/v1/plans/${pid}/waves/${n}/config?${qs}`, { headers: headers() }), { params: Promise.resolve({ id: pid, n }) });
      expect((await get(getOne, '/plans/nope', { id: 'nope' })).status).toBe(404);
      expect((await get(getOne, '/plans/00000000-0000-4000-8000-000000000000', { id: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
      expect((await cfg('7', 'gateway=nginx')).status).toBe(400);
      expect((await cfg('1', '')).status).toBe(400);
      expect((await cfg('1', 'gateway=nginx&authorizationServer=keycloak')).status).toBe(400);
      expect((await cfg('1', 'gateway=envoy')).status).toBe(400);
      expect((await cfg('3', 'gateway=nginx')).status).toBe(422);
      const unsafe = await cfg('1', `gateway=nginx&upstream=${encodeURIComponent('http://x; include /etc/passwd')}`);
      expect(unsafe.status).toBe(422);
      expect(((await unsafe.json()) as { detail: string }).detail).toMatch(/^upstream:/);
      expect((await get(exportOne, `/plans/${id}/export?format=doc`, { id })).status).toBe(400);
    });
  });
}
