// Estate API on both runtimes over the demo estate: filters, keyset pages, exports (with the
// CSV formula guard), details, acknowledge through the API (the OpenAPI document against the
// route files: openapi.test.ts).
import { TokenRowRevocationFields } from '../../revocation/token-revocation-state.ts';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../auth/api-keys.ts';
import { SEVERITY_ORDER, type Severity } from '../../domain/types.ts';
import { seedDemo } from '../../seed/seed-demo.ts';
import { registerDatabase } from '../../server/database.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { evaluateFindings } from '../findings/index.ts';
import { getSummary } from '../summary.ts';
import { csvCell } from './export.ts';
import { getOverview } from './overview.ts';
import { TokenRowSchema } from './schemas.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../app/api/v1');
const NOW = new Date();

describe('CSV formula guard', () => {
  it('prefixes cells a spreadsheet would evaluate and quotes every cell', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    for (const c of ['+1', '-1', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(c).startsWith(`"'`)).toBe(true);
    expect(csvCell(['a', 'b'])).toBe('"a b"');
    expect(csvCell(null)).toBe('""');
  });
});

for (const runtime of RUNTIMES) {
  describe(`estate API on the demo estate (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let key = '';
    const get = async (url: string) => {
      const u = new URL(`http://localhost:3000/api/v1${url}`);
      const seg = u.pathname.replace('/api/v1/', '').split('/');
      const file = seg.length === 2 ? `${seg[0]}/[id]` : seg[0]!;
      const mod = (await import(path.join(ROOT, file, 'route.ts'))) as { GET: (r: Request, c: { params: Promise<Record<string, string>> }) => Promise<Response> };
      return mod.GET(new Request(u, { headers: { authorization: `Bearer ${key}`, host: 'localhost:3000' } }), { params: Promise.resolve((seg.length === 2 ? { id: seg[1]! } : {}) as Record<string, string>) });
    };
    const json = async <T,>(url: string): Promise<T> => {
      const r = await get(url);
      expect(r.status, `${url}: ${r.status}`).toBe(200);
      return (await r.json()) as T;
    };
    const all = async <T,>(url: string): Promise<T[]> => {
      const out: T[] = [];
      let after: string | null = null;
      do {
        const page: { items: T[]; nextCursor: string | null } = await json(`${url}${url.includes('?') ? '&' : '?'}limit=500${after ? `&after=${after}` : ''}`);
        out.push(...page.items);
        after = page.nextCursor;
      } while (after);
      return out;
    };

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      await seedDemo(t.db, { seed: 42, now: NOW });
      await evaluateFindings(t.db, { now: NOW, actor: 'test' });
      key = (await createApiKey(t.db, { name: 'analyst', role: 'analyst', actor: 'test' })).key;
    }, 120_000);
    afterAll(async () => {
      registerDatabase(undefined);
      await t?.drop();
    });

    it('lists exactly the unbound high-risk tokens the summary counts, riskiest first, across keyset pages', async (ctx) => {
      if (!t) return ctx.skip();
      const s = await getSummary(t.db);
      const rows = await all<{ id: string; binding: string; riskSeverity: string; blastRadius: number }>('/tokens?binding=bearer&risk=high');
      expect(rows.length).toBe(s.tokens.unboundHighRisk);
      expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
      expect(new Set(rows.map((r) => r.binding))).toEqual(new Set(['bearer']));
      for (let i = 1; i < rows.length; i++) {
        const a = rows[i - 1]!;
        const b = rows[i]!;
        const sa = SEVERITY_ORDER[a.riskSeverity as Severity];
        const sb = SEVERITY_ORDER[b.riskSeverity as Severity];
        expect(sa < sb || (sa === sb && a.blastRadius >= b.blastRadius)).toBe(true);
      }
      const first = (await json<{ items: Record<string, unknown>[] }>('/tokens?binding=bearer&risk=high&limit=1')).items[0]!;
      // The API's rows: the list's columns plus the revocation state (app/api/v1/tokens/route.ts).
      expect(Object.keys(first).sort()).toEqual(Object.keys(TokenRowSchema.extend(TokenRowRevocationFields).shape).sort());
    });

    it('filters tokens by every documented filter and pages without overlap', async (ctx) => {
      if (!t) return ctx.skip();
      const exposed = await all<{ exposure: string }>('/tokens?exposure=exposed');
      expect(exposed.length).toBeGreaterThan(0);
      expect(exposed.every((r) => r.exposure === 'exposed')).toBe(true);
      const ttl = await all<{ ttlSeconds: number }>('/tokens?ttlMin=3600&ttlMax=86400&status=active');
      expect(ttl.every((r) => r.ttlSeconds >= 3600 && r.ttlSeconds < 86400)).toBe(true);
      const byScope = await all<{ scopes: string[] }>('/tokens?scope=admin');
      expect(byScope.every((r) => r.scopes.includes('admin'))).toBe(true);
      const total = (await getSummary(t.db)).tokens.total;
      // A cursor of the id order is not one of the risk order.
      const rowsAfterFirst = (await json<{ nextCursor: string }>('/tokens?sort=id&limit=1')).nextCursor;
      for (const sort of ['id', 'ttl', 'expires']) {
        const rows = await all<{ id: string }>(`/tokens?sort=${sort}`);
        expect(rows.length, sort).toBe(total);
        expect(new Set(rows.map((r) => r.id)).size, sort).toBe(total);
      }
      expect((await get('/tokens?binding=carrier-pigeon')).status).toBe(400);
      expect((await get('/tokens?limit=501')).status).toBe(400);
      expect((await get('/tokens?after=garbage')).status).toBe(400);
      // The problem names the parameter, as every route's query schema does (issue #19).
      for (const [q, param] of [['binding=carrier-pigeon', 'binding'], ['limit=0', 'limit'], ['ttlMin=-1', 'ttlMin'], ['sort=risk&after=' + encodeURIComponent(rowsAfterFirst), 'after']]) {
        const bad = await get(`/tokens?${q}`);
        expect(bad.status, q).toBe(400);
        expect(await bad.json(), q).toMatchObject({ code: 'bad_request', detail: expect.stringContaining(`query parameter ${param}:`), errors: [{ path: param }] });
      }
    });

    it('exports the filtered list as CSV and JSON with the same rows', async (ctx) => {
      if (!t) return ctx.skip();
      const s = await getSummary(t.db);
      const csv = await (await get('/tokens?binding=bearer&risk=high&format=csv')).text();
      const lines = csv.trim().split('\r\n');
      expect(lines[0]).toMatch(/^"id","fingerprint","identity"/);
      expect(lines.length - 1).toBe(s.tokens.unboundHighRisk);
      const r = await get('/tokens?binding=bearer&risk=high&format=json');
      expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="holdfast-tokens-.*\.json"/);
      expect(((await r.json()) as unknown[]).length).toBe(s.tokens.unboundHighRisk);
      // With a cursor, the download starts where that page ended.
      expect(s.tokens.unboundHighRisk).toBeGreaterThan(2);
      const page = await json<{ nextCursor: string }>('/tokens?binding=bearer&risk=high&limit=2');
      const rest = (await (await get(`/tokens?binding=bearer&risk=high&format=json&after=${page.nextCursor}`)).json()) as unknown[];
      expect(rest.length).toBe(s.tokens.unboundHighRisk - 2);
    });

    it('shows a token with why and what to do, and an identity with its risk score breakdown', async (ctx) => {
      if (!t) return ctx.skip();
      const top = (await json<{ items: { id: string; identityId: string }[] }>('/tokens?binding=bearer&risk=high&limit=1')).items[0]!;
      const d = await json<{ findings: { rule: string }[]; recommendation: { method: string; why: string } | null; controls: unknown[]; gateways: unknown[] }>(`/tokens/${top.id}`);
      expect(d.findings.map((f) => f.rule)).toContain('unbound_high_risk');
      expect(['mtls', 'dpop']).toContain(d.recommendation?.method);
      expect(d.controls.length).toBeGreaterThan(0);
      const idn = await json<{ risk: { score: number; breakdown: unknown[] } }>(`/identities/${top.identityId}`);
      const list = await all<{ id: string; riskScore: number }>('/identities');
      expect(list.find((i) => i.id === top.identityId)?.riskScore).toBe(idn.risk.score);
      expect(idn.risk.breakdown.length).toBeGreaterThan(0);
      expect((await get('/tokens/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await get('/tokens/not-a-uuid')).status).toBe(404);
    });

    it('shows a certificate (by id or x5t#S256) with every token bound to it, the events that presented it and its findings', async (ctx) => {
      if (!t) return ctx.skip();
      const [c] = await t.db.query<{ id: string; x5tS256: string; identityId: string | null }>(
        `SELECT c.id::text, c."x5tS256", c."identityId"::text AS "identityId" FROM "Certificate" c
          WHERE EXISTS (SELECT 1 FROM "Token" t WHERE t."cnfX5tS256" = c."x5tS256") ORDER BY c.id LIMIT 1`,
      );
      expect(c, 'the demo estate has a certificate with bound tokens').toBeDefined();
      type D = { certificate: { id: string; x5tS256: string }; identity: { id: string } | null; tokens: { id: string }[]; events: { verdict: string }[]; findings: { certificateId: string | null }[] };
      const d = await json<D>(`/certificates/${c!.id}`);
      expect(d.certificate.x5tS256).toBe(c!.x5tS256);
      expect(d.identity?.id ?? null).toBe(c!.identityId);
      const bound = await t.db.query<{ id: string }>(`SELECT id::text FROM "Token" WHERE "cnfX5tS256" = $1 OR "certificateId" = $2::uuid ORDER BY id`, [c!.x5tS256, c!.id]);
      expect(d.tokens.map((x) => x.id).sort()).toEqual(bound.map((x) => x.id));
      // The demo estate's requests are all inside the ledger's window: each one that presented the certificate.
      const [ev] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "evidence"."Request" r JOIN "evidence"."Dim" d ON d.id = r."cert"
          WHERE (d."kind" = 5 AND d."value" = $1) OR (d."kind" = 8 AND d."value" = (SELECT "sha1Hex" FROM "Certificate" WHERE id = $2::uuid))`,
        [c!.x5tS256, c!.id],
      );
      expect(d.events.length).toBe(Math.min(50, Number(ev!.n)));
      expect(d.findings.every((f) => f.certificateId === c!.id)).toBe(true);
      expect((await json<D>(`/certificates/${c!.x5tS256}`)).certificate.id).toBe(c!.id);
      expect((await get('/certificates/00000000-0000-4000-8000-000000000000')).status).toBe(404);
      expect((await get('/certificates/not-a-certificate')).status).toBe(404);
    });

    it('lists findings most urgent first, and acknowledging through the API takes them out of the open queue', async (ctx) => {
      if (!t) return ctx.skip();
      const open = await all<{ id: string; severity: Severity; blastRadius: number }>('/findings');
      for (let i = 1; i < open.length; i++) {
        const a = open[i - 1]!;
        const b = open[i]!;
        expect(SEVERITY_ORDER[a.severity] < SEVERITY_ORDER[b.severity] || (a.severity === b.severity && a.blastRadius >= b.blastRadius)).toBe(true);
      }
      const ids = open.slice(0, 3).map((f) => f.id);
      const { POST } = (await import(path.join(ROOT, 'findings/acknowledge/route.ts'))) as { POST: (r: Request) => Promise<Response> };
      const ack = await POST(
        new Request('http://localhost:3000/api/v1/findings/acknowledge', {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, host: 'localhost:3000', 'content-type': 'application/json' },
          body: JSON.stringify({ ids, reason: 'accepted for the migration window', until: new Date(Date.now() + 7 * 86_400_000).toISOString() }),
        }),
      );
      expect(ack.status).toBe(200);
      expect(((await ack.json()) as { acknowledged: string[] }).acknowledged.sort()).toEqual([...ids].sort());
      const after = await all<{ id: string }>('/findings');
      expect(after.length).toBe(open.length - 3);
      const acked = await all<{ id: string; ackBy: string }>('/findings?status=acknowledged');
      expect(acked.map((f) => f.id).sort()).toEqual([...ids].sort());
      expect(acked[0]!.ackBy).toMatch(/^apikey:analyst/);
    });

    it('overview chart elements drill down to exactly the rows they count', async (ctx) => {
      if (!t) return ctx.skip();
      const o = await getOverview(t.db, { from: new Date(NOW.getTime() - 7 * 86_400_000), to: NOW });
      const s = await getSummary(t.db);
      expect(o.now.tokens).toBe(s.tokens.total);
      expect(o.now.weightedConstrainedPct).toBeGreaterThan(0);
      expect(o.now.weightedConstrainedPct).toBeLessThanOrEqual(100);
      for (const b of o.ttl) {
        for (const binding of ['bearer', 'mtls', 'dpop'] as const) {
          const rows = await all<{ id: string }>(`/tokens?${new URLSearchParams({ ...b.query, binding })}`);
          expect(rows.length, `${b.bucket} ${binding}`).toBe(b[binding]);
        }
      }
      expect(o.window.bucket).toBe('day');
      const f = o.failuresOverTime[o.failuresOverTime.length - 2]!;
      const from = f.start;
      const to = new Date(new Date(from).getTime() + 86_400_000).toISOString();
      const ev = await all<{ id: string }>(`/events?verdict=${f.verdict}&from=${from}&to=${to}`);
      expect(ev.length).toBe(f.n);
      const top = o.topIdentities[0]!;
      expect((await json<{ risk: { score: number } }>(`/identities/${top.id}`)).risk.score).toBe(top.score);
    });

    it('changes the risk policy only with a valid one (admin), then re-evaluates', async (ctx) => {
      if (!t) return ctx.skip();
      const admin = (await createApiKey(t.db, { name: 'admin', role: 'admin', actor: 'test' })).key;
      const { GET, PUT } = (await import(path.join(ROOT, 'risk-policy/route.ts'))) as Record<string, (r: Request) => Promise<Response>>;
      const put = (k: string, body: unknown) =>
        PUT!(new Request('http://localhost:3000/api/v1/risk-policy', { method: 'PUT', headers: { authorization: `Bearer ${k}`, host: 'localhost:3000', 'content-type': 'application/json' }, body: JSON.stringify(body) }));
      expect((await put(key, { policy: {} })).status).toBe(403);
      const bad = await put(admin, { policy: { ttl: { agentSeconds: -5 } } });
      expect(bad.status).toBe(422);
      expect(((await bad.json()) as { errors: { path: string }[] }).errors[0]!.path).toContain('agentSeconds');
      const ok = await put(admin, { policy: { ttl: { agentSeconds: 7200 } } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { evaluation: { drafts: number } }).evaluation.drafts).toBeGreaterThan(0);
      const got = await GET!(new Request('http://localhost:3000/api/v1/risk-policy', { headers: { authorization: `Bearer ${key}`, host: 'localhost:3000' } }));
      expect(((await got.json()) as { policy: { ttl: { agentSeconds: number } } }).policy.ttl.agentSeconds).toBe(7200);
    });

    it('lists events by verdict and request id, newest first, never with the redacted source line', async (ctx) => {
      if (!t) return ctx.skip();
      const page = await json<{ items: { occurredAt: string; verdict: string; requestId: string | null }[] }>('/events?verdict=proof_invalid&limit=100');
      expect(page.items.length).toBeGreaterThan(0);
      expect(page.items.every((e) => e.verdict === 'proof_invalid')).toBe(true);
      expect(page.items.every((e) => !('redactedRaw' in e))).toBe(true);
      for (let i = 1; i < page.items.length; i++) expect(page.items[i - 1]!.occurredAt >= page.items[i]!.occurredAt).toBe(true);
      const rid = page.items.find((e) => e.requestId)?.requestId;
      if (rid) {
        const one = await json<{ items: { requestId: string }[] }>(`/events?requestId=${encodeURIComponent(rid)}`);
        expect(one.items.every((e) => e.requestId === rid)).toBe(true);
      }
      const two = await all<{ id: string }>('/events?failures=binding&from=' + new Date(Date.now() - 86_400_000).toISOString());
      expect(new Set(two.map((e) => e.id)).size).toBe(two.length);
    });
  });
}
