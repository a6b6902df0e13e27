// The export and framework routes through their handlers (Web Request/Response), on both runtimes:
// an auditor starts an export, polls it and downloads the file with the right headers; an analyst
// gets 403; a bad custom framework gets 422 with per-field errors.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { GET as listFrameworks, POST as uploadFramework } from '../frameworks/route.ts';
import { GET as controls } from '../frameworks/[id]/controls/route.ts';
import { POST as postExport } from './route.ts';
import { GET as getExport } from './[id]/route.ts';
import { GET as download } from './[id]/download/route.ts';

const base = 'http://localhost:3000/api/v1';
function req(method: string, url: string, key: string, body?: unknown): Request {
  return new Request(`${base}${url}`, {
    method,
    headers: { host: 'localhost:3000', authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const p = <T extends Record<string, string>>(params: T) => ({ params: Promise.resolve(params) });

for (const runtime of RUNTIMES) {
  describe(`export routes on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    const keys: Record<string, string> = {};
    const prevDataDir = process.env.HOLDFAST_DATA_DIR;

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      process.env.HOLDFAST_DATA_DIR = mkdtempSync(path.join(tmpdir(), 'holdfast-routes-'));
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      for (const role of ['analyst', 'auditor', 'admin'] as const) keys[role] = (await createApiKey(t.db, { name: `k-${role}`, role, actor: 'test' })).key;
    });
    afterAll(async () => {
      registerDatabase(undefined);
      if (prevDataDir === undefined) delete process.env.HOLDFAST_DATA_DIR;
      else process.env.HOLDFAST_DATA_DIR = prevDataDir;
      await t?.drop();
    });

    it('lists frameworks and a framework’s controls with status and crosswalk', async (ctx) => {
      if (!t) return ctx.skip();
      const list = await (await listFrameworks(req('GET', '/frameworks', keys.analyst!), p({}))).json();
      expect(list.frameworks.map((f: { id: string }) => f.id)).toContain('nist-csf-2.0');
      const res = await controls(req('GET', '/frameworks/nist-csf-2.0/controls?control=PR.AA-01', keys.analyst!), p({ id: 'nist-csf-2.0' }));
      expect(res.status).toBe(200);
      const o = await res.json();
      expect(o.controls.find((c: { id: string }) => c.id === 'PR.AA-05').csf11).toContain('PR.AC-4');
      expect(o.controls.every((c: { status: string }) => c.status === 'not_assessed')).toBe(true); // nothing evaluated yet
      expect(o.evidence.control.id).toBe('PR.AA-01');
      expect((await controls(req('GET', '/frameworks/nope/controls', keys.analyst!), p({ id: 'nope' }))).status).toBe(404);
      expect((await controls(req('GET', '/frameworks/nist-csf-2.0/controls?from=yesterday', keys.analyst!), p({ id: 'nist-csf-2.0' }))).status).toBe(400);
      // The query through the route's schema: a 400 naming the parameter (limit was read as 20 whatever it said).
      for (const [q, param] of [['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'from'], ['control=PR.AA-01&limit=abc', 'limit'], ['control=PR.AA-01&limit=201', 'limit']]) {
        const bad = await controls(req('GET', `/frameworks/nist-csf-2.0/controls?${q}`, keys.analyst!), p({ id: 'nist-csf-2.0' }));
        expect(bad.status, q).toBe(400);
        expect(await bad.json(), q).toMatchObject({ code: 'bad_request', errors: [{ path: param }] });
      }
      const inverted = await listFrameworks(req('GET', '/frameworks?from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', keys.analyst!), p({}));
      expect(await inverted.json()).toMatchObject({ code: 'bad_request', detail: 'query parameter from: must not be after to' });
    });

    it('exports as an auditor: job done inline, download streams the file with type, name and sha256', async (ctx) => {
      if (!t) return ctx.skip();
      const res = await postExport(req('POST', '/exports', keys.auditor!, { framework: 'owasp-nhi-2025', format: 'csv' }), p({}));
      expect(res.status).toBe(201);
      const job = await res.json();
      expect(job).toMatchObject({ state: 'done', format: 'csv', framework: 'owasp-nhi-2025', progress: 100 });
      expect(job.requestedBy).toMatch(/^apikey:k-auditor/);
      const again = await (await getExport(req('GET', `/exports/${job.id}`, keys.auditor!), p({ id: job.id }))).json();
      expect(again.sha256).toBe(job.sha256);
      const dl = await download(req('GET', `/exports/${job.id}/download`, keys.admin!), p({ id: job.id }));
      expect(dl.status).toBe(200);
      expect(dl.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(dl.headers.get('content-disposition')).toMatch(/^attachment; filename="holdfast-owasp-nhi-2025-\d{8}T\d{6}Z\.csv"$/);
      const bytes = Buffer.from(await dl.arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(job.sha256);
      expect(bytes.toString('utf8')).toContain('NHI1:2025');

      const pdf = await (await postExport(req('POST', '/exports', keys.auditor!, { framework: 'nist-csf-2.0', format: 'pdf' }), p({}))).json();
      const pdl = await download(req('GET', `/exports/${pdf.id}/download`, keys.auditor!), p({ id: pdf.id }));
      expect(pdl.headers.get('content-type')).toBe('application/pdf');
      expect(Buffer.from(await pdl.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    });

    it('refuses an analyst (403), bad formats and frameworks (422), unknown jobs (404)', async (ctx) => {
      if (!t) return ctx.skip();
      expect((await postExport(req('POST', '/exports', keys.analyst!, { framework: 'nist-csf-2.0', format: 'csv' }), p({}))).status).toBe(403);
      const bad = await postExport(req('POST', '/exports', keys.auditor!, { framework: 'nist-csf-2.0', format: 'xlsx' }), p({}));
      expect(bad.status).toBe(422);
      expect((await bad.json()).errors[0].path).toBe('format');
      const unknown = await postExport(req('POST', '/exports', keys.auditor!, { framework: 'nist-csf-9', format: 'csv' }), p({}));
      expect(unknown.status).toBe(422);
      expect((await unknown.json()).errors[0].path).toBe('framework');
      // Year 0 passes a plain ISO check but is not a date PostgreSQL stores: a 422 naming the field, not a 500.
      for (const from of ['0000-01-01T00:00:00Z', '2026-13-01T00:00:00Z', '']) {
        const r = await postExport(req('POST', '/exports', keys.auditor!, { framework: 'nist-csf-2.0', format: 'csv', from }), p({}));
        expect(r.status, from).toBe(422);
        expect((await r.json()).errors[0]).toMatchObject({ path: 'from', message: expect.stringContaining('ISO 8601') });
      }
      const id = '00000000-0000-4000-8000-000000000001';
      expect((await getExport(req('GET', `/exports/${id}`, keys.auditor!), p({ id }))).status).toBe(404);
      expect((await download(req('GET', `/exports/not-a-uuid/download`, keys.auditor!), p({ id: 'not-a-uuid' }))).status).toBe(404);
    });

    it('takes a custom framework from an admin, with per-field errors for a bad one', async (ctx) => {
      if (!t) return ctx.skip();
      const bad = await uploadFramework(req('POST', '/frameworks', keys.admin!, { id: 'Bad Id', name: '', version: '1', controls: [], mapping: [] }), p({}));
      expect(bad.status).toBe(422);
      const problem = await bad.json();
      expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['id', 'name', 'controls']));
      const doc = { id: 'acme', name: 'ACME', version: '1', controls: [{ id: 'A-1', title: 'Bound tokens' }], mapping: [{ subject: 'unbound_high_risk', controlId: 'A-1', rationale: 'r' }] };
      expect((await uploadFramework(req('POST', '/frameworks', keys.auditor!, doc), p({}))).status).toBe(403);
      const ok = await uploadFramework(req('POST', '/frameworks', keys.admin!, doc), p({}));
      expect(ok.status).toBe(201);
      const list = await (await listFrameworks(req('GET', '/frameworks', keys.analyst!), p({}))).json();
      expect(list.frameworks.find((f: { id: string }) => f.id === 'acme')).toMatchObject({ custom: true, controls: 1 });
    });
  });
}
