// Issue #14 items 5 and 6 through the product as people run it: the production server
// (scripts/start.mjs) over real HTTP, and the `holdfast` binary with --server. On PostgreSQL two
// instances share the database, and every shut-off done on one is checked on the other.
//  - A source's key and a plain ingest-scoped key get 403 on every route of the OpenAPI document
//    except ingest, whatever their stored role, and still ingest — a source key as its own
//    source, whatever `source` the query names.
//  - A revoked key gets 401 at once; a disabled user's session gets 401 at once (and a page load
//    goes to sign-in); a role change ends the user's sessions at once. All audited.
//  - The last enabled admin cannot be disabled or demoted (409); names with NUL, lone surrogates
//    or control characters are 422 problems, never 500s.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresTestDatabase, postgresAvailable, RUNTIMES } from '../testing/databases.ts';
import { hasBuild, runCli, startServerProcess, type RunResult, type ServerProcess } from '../testing/processes.ts';

const ADMIN = { email: 'admin@access.test', password: 'access test admin passphrase' };
const ANA = { email: 'ana@access.test', password: 'ana the analyst passphrase' };
const ZERO = '00000000-0000-4000-8000-000000000000';
const line = (i: number) =>
  JSON.stringify({ time: new Date().toISOString(), request_id: `access-${i}-${randomBytes(4).toString('hex')}`, uri: `/p/${i}`, status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' });

interface Session {
  cookie: string;
  csrf: string;
}

interface Reply {
  status: number;
  type: string;
  json: Record<string, unknown> & { code?: string };
}

async function send(base: string, target: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: string } = {}): Promise<Reply> {
  const hasJson = init.body !== undefined;
  const res = await fetch(`${base}${target}`, {
    method: init.method ?? 'GET',
    headers: { ...(hasJson ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: hasJson ? JSON.stringify(init.body) : init.raw,
    redirect: 'manual',
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let json: Reply['json'] = {};
  try {
    json = JSON.parse(text) as Reply['json'];
  } catch {
    /* not JSON (a page, JSON lines) */
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', json };
}

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const asSession = (s: Session) => ({ cookie: s.cookie, 'x-csrf-token': s.csrf });

async function signIn(base: string, who: { email: string; password: string }): Promise<{ status: number; session: Session | null }> {
  const res = await fetch(`${base}/api/v1/auth/sign-in`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(who) });
  if (res.status !== 200) return { status: res.status, session: null };
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { status: 200, session: { cookie: res.headers.get('set-cookie')!.split(';')[0]!, csrf: csrfToken } };
}

function expectProblem(r: Reply, status: number, code: string, what: string): void {
  expect.soft(r.status, what).toBe(status);
  expect.soft(r.type, what).toMatch(/^application\/problem\+json/);
  expect.soft(r.json.code, what).toBe(code);
}

function expectOneLine(r: RunResult, code: number, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n').filter((l) => !/^npm warn/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

for (const runtime of RUNTIMES) {
  describe.runIf(hasBuild() || process.env.CI === 'true')(`access shut-off through the server on ${runtime}`, { timeout: 600_000 }, () => {
    const servers: ServerProcess[] = [];
    const dirs: string[] = [];
    let drop: () => Promise<void> = async () => {};
    /** Where changes are made, and where their effect is checked (another instance on PostgreSQL). */
    let a = '';
    let b = '';
    let admin: Session;
    let adminKey = '';
    let skip = false;

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        skip = true;
        return;
      }
      const base = { HOLDFAST_DEMO: 'never', HOLDFAST_ADMIN_EMAIL: ADMIN.email, HOLDFAST_ADMIN_PASSWORD: ADMIN.password, HOLDFAST_SIGNIN_LIMIT_PER_IP: '10000' };
      const dataDir = () => {
        const d = mkdtempSync(path.join(os.tmpdir(), 'holdfast-access-'));
        dirs.push(d);
        return d;
      };
      if (runtime === 'pglite') {
        servers.push(await startServerProcess({ ...base, HOLDFAST_DATA_DIR: dataDir() }));
      } else {
        const pg = await createPostgresTestDatabase();
        drop = pg.drop;
        const shared = { ...base, DATABASE_URL: pg.url, HOLDFAST_SECRET_KEY: randomBytes(32).toString('base64') };
        // One after the other: the first migrates the database and creates the admin.
        servers.push(await startServerProcess({ ...shared, HOLDFAST_DATA_DIR: dataDir() }));
        servers.push(await startServerProcess({ ...shared, HOLDFAST_DATA_DIR: dataDir() }));
      }
      a = servers[0]!.url;
      b = servers[servers.length - 1]!.url;
      const s = await signIn(a, ADMIN);
      expect(s.status).toBe(200);
      admin = s.session!;
      const k = await send(a, '/api/v1/api-keys', { method: 'POST', headers: asSession(admin), body: { name: 'ops-admin', role: 'admin' } });
      expect(k.status).toBe(201);
      adminKey = k.json.key as string;
    }, 600_000);

    afterAll(async () => {
      for (const s of servers) await s.stop();
      await drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('a source key and an ingest-scoped key get 403 on every other route, and ingest — the source key as its own source', async (ctx) => {
      if (skip) return ctx.skip();
      const source = await send(a, '/api/v1/sources', { method: 'POST', headers: asSession(admin), body: { name: 'edge-a', format: 'nginx-json' } });
      expect(source.status).toBe(201);
      const sourceKey = (source.json.apiKey as { key: string }).key;
      // Stored as admin: the ingest scope, not the role, decides.
      const scoped = await send(a, '/api/v1/api-keys', { method: 'POST', headers: asSession(admin), body: { name: 'shipper', role: 'admin', scopes: ['ingest'] } });
      expect(scoped.status).toBe(201);
      const scopedKey = scoped.json.key as string;

      const doc = (await send(a, '/api/v1/openapi.json')).json as { paths: Record<string, Record<string, { 'x-holdfast-permission': string }>> };
      const protectedOps = Object.entries(doc.paths).flatMap(([p, methods]) =>
        Object.entries(methods)
          .filter(([, op]) => op['x-holdfast-permission'] !== 'public' && op['x-holdfast-permission'] !== 'ingest')
          .map(([method]) => ({ method: method.toUpperCase(), path: `/api/v1${p.replace(/\{[^}]+\}/g, ZERO)}` })),
      );
      expect(protectedOps.length).toBeGreaterThan(30);
      for (const key of [sourceKey, scopedKey]) {
        for (const op of protectedOps) {
          const r = await send(b, op.path, { method: op.method, headers: bearer(key), body: op.method === 'GET' ? undefined : {} });
          expectProblem(r, 403, 'forbidden', `${op.method} ${op.path} with ${key === sourceKey ? 'the source key' : 'the ingest-scoped key'}`);
        }
      }

      // The query names another source: the batch still lands in the key's own.
      const ingest = (key: string, query: string) =>
        send(b, `/api/v1/ingest?format=nginx-json${query}`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/x-ndjson' }, raw: `${line(1)}\n${line(2)}\n` });
      const mine = await ingest(sourceKey, '&source=someone-else');
      expect(mine.status).toBe(200);
      expect(mine.json).toMatchObject({ accepted: 2, rejected: 0 });
      const shipped = await ingest(scopedKey, '&source=edge-b');
      expect(shipped.status).toBe(200);
      const batches = (await send(a, '/api/v1/ingest/batches?limit=10', { headers: bearer(adminKey) })).json.batches as Array<{ id: string; source: string | null }>;
      expect(batches.find((x) => x.id === mine.json.batchId)?.source).toBe('edge-a');
      expect(batches.find((x) => x.id === shipped.json.batchId)?.source).toBe('edge-b');
      const sources = (await send(a, '/api/v1/sources', { headers: bearer(adminKey) })).json.sources as Array<{ name: string }>;
      expect(sources.map((x) => x.name)).not.toContain('someone-else');
    });

    it('a revoked key gets 401 at once on every instance (API and CLI), and each revocation is audited once', async (ctx) => {
      if (skip) return ctx.skip();
      const created = await send(a, '/api/v1/api-keys', { method: 'POST', headers: asSession(admin), body: { name: 'reporting', role: 'analyst' } });
      const key = created.json.key as string;
      const id = created.json.id as string;
      for (const url of [a, b]) expect((await send(url, '/api/v1/summary', { headers: bearer(key) })).status).toBe(200);
      const revoked = await send(a, `/api/v1/api-keys/${id}/revoke`, { method: 'POST', headers: asSession(admin) });
      expect(revoked.status).toBe(200);
      expect(revoked.json).toMatchObject({ id, name: 'reporting', alreadyRevoked: false });
      for (const url of [b, a]) expectProblem(await send(url, '/api/v1/summary', { headers: bearer(key) }), 401, 'unauthorized', `revoked key on ${url}`);
      expect((await send(b, `/api/v1/api-keys/${id}/revoke`, { method: 'POST', headers: bearer(adminKey) })).json).toMatchObject({ alreadyRevoked: true, revokedAt: revoked.json.revokedAt });
      expectProblem(await send(a, `/api/v1/api-keys/${ZERO}/revoke`, { method: 'POST', headers: asSession(admin) }), 404, 'not_found', 'unknown key');

      const second = await send(a, '/api/v1/api-keys', { method: 'POST', headers: asSession(admin), body: { name: 'scripted', role: 'auditor' } });
      const cli = await runCli(['apikey', 'revoke', '--id', second.json.id as string, '--json', '--server', a, '--api-key', adminKey], { timeoutMs: 120_000 });
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({ id: second.json.id, name: 'scripted', alreadyRevoked: false });
      expectProblem(await send(b, '/api/v1/summary', { headers: bearer(second.json.key as string) }), 401, 'unauthorized', 'key revoked by the CLI');
      const list = await runCli(['apikey', 'list', '--json', '--server', b, '--api-key', adminKey], { timeoutMs: 120_000 });
      expect(list.code, list.stderr).toBe(0);
      const rows = list.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; revokedAt: string | null; ingestOnly: boolean; source: string | null });
      expect(rows.find((r) => r.id === id)?.revokedAt).toBe(revoked.json.revokedAt);
      expect(rows.find((r) => r.source === 'edge-a')).toMatchObject({ ingestOnly: true, revokedAt: null });

      const audit = await auditActions(a, adminKey, 'apikey.revoke');
      expect(audit.filter((e) => e.target === `apikey:${id}`)).toEqual([{ actor: `user:${ADMIN.email}`, action: 'apikey.revoke', target: `apikey:${id}` }]);
      expect(audit.filter((e) => e.target === `apikey:${second.json.id}`)).toEqual([{ actor: expect.stringMatching(/^apikey:ops-admin /), action: 'apikey.revoke', target: `apikey:${second.json.id}` }]);
    });

    it("a disabled user's session gets 401 at once on every instance, a page load goes to sign-in, and sign-in works again only once enabled", async (ctx) => {
      if (skip) return ctx.skip();
      const created = await send(a, '/api/v1/users', { method: 'POST', headers: asSession(admin), body: { ...ANA, role: 'analyst' } });
      expect(created.status).toBe(201);
      const id = created.json.id as string;
      const ana = (await signIn(a, ANA)).session!;
      expect((await send(b, '/api/v1/auth/session', { headers: { cookie: ana.cookie } })).status).toBe(200);

      const off = await send(a, `/api/v1/users/${id}`, { method: 'PATCH', headers: asSession(admin), body: { disabled: true } });
      expect(off.status).toBe(200);
      expect(off.json).toMatchObject({ id, email: ANA.email, role: 'analyst', disabled: true });
      for (const url of [b, a]) expectProblem(await send(url, '/api/v1/auth/session', { headers: { cookie: ana.cookie } }), 401, 'unauthorized', `disabled user's session on ${url}`);
      const page = await fetch(`${b}/tokens`, { headers: { cookie: ana.cookie }, redirect: 'manual' });
      expect([302, 303, 307]).toContain(page.status);
      expect(page.headers.get('location')).toMatch(/\/sign-in/);
      expect((await signIn(b, ANA)).status).toBe(401);

      const on = await send(b, `/api/v1/users/${id}`, { method: 'PATCH', headers: bearer(adminKey), body: { disabled: false } });
      expect(on.json).toMatchObject({ disabled: false });
      expect((await signIn(a, ANA)).status).toBe(200);
      expect(await auditActions(a, adminKey, 'user.disable', 'user.enable')).toEqual([
        { actor: `user:${ADMIN.email}`, action: 'user.disable', target: `user:${ANA.email}` },
        { actor: expect.stringMatching(/^apikey:ops-admin /), action: 'user.enable', target: `user:${ANA.email}` },
      ]);
    });

    it("a role change ends the user's sessions at once (API and CLI); the next sign-in carries the new role", async (ctx) => {
      if (skip) return ctx.skip();
      const users = (await send(a, '/api/v1/users', { headers: bearer(adminKey) })).json.users as Array<{ id: string; email: string }>;
      const id = users.find((u) => u.email === ANA.email)!.id;
      const before = (await signIn(a, ANA)).session!;
      const changed = await send(a, `/api/v1/users/${id}`, { method: 'PATCH', headers: asSession(admin), body: { role: 'operator' } });
      expect(changed.json).toMatchObject({ role: 'operator', disabled: false });
      expectProblem(await send(b, '/api/v1/auth/session', { headers: { cookie: before.cookie } }), 401, 'unauthorized', 'session from before the role change');
      const after = (await signIn(b, ANA)).session!;
      expect((await send(a, '/api/v1/auth/session', { headers: { cookie: after.cookie } })).json).toMatchObject({ role: 'operator' });

      const cli = await runCli(['user', 'role', '--email', ANA.email, '--role', 'auditor', '--json', '--server', b, '--api-key', adminKey], { timeoutMs: 120_000 });
      expect(cli.code, cli.stderr).toBe(0);
      expect(JSON.parse(cli.stdout)).toEqual({ id, email: ANA.email, role: 'auditor', disabled: false, createdAt: expect.any(String) });
      expectProblem(await send(a, '/api/v1/auth/session', { headers: { cookie: after.cookie } }), 401, 'unauthorized', 'session from before the CLI role change');
      expect((await auditActions(a, adminKey, 'user.role_change')).map((e) => e.target)).toEqual([`user:${ANA.email}`, `user:${ANA.email}`]);
    });

    it('refuses to disable or demote the last enabled admin (409 problem, CLI exit 1) and keeps the admin working', async (ctx) => {
      if (skip) return ctx.skip();
      const me = ((await send(a, '/api/v1/users', { headers: asSession(admin) })).json.users as Array<{ id: string; email: string }>).find((u) => u.email === ADMIN.email)!;
      expectProblem(await send(a, `/api/v1/users/${me.id}`, { method: 'PATCH', headers: asSession(admin), body: { disabled: true } }), 409, 'conflict', 'disable self');
      expectProblem(await send(b, `/api/v1/users/${me.id}`, { method: 'PATCH', headers: bearer(adminKey), body: { role: 'analyst' } }), 409, 'conflict', 'demote self');
      expectOneLine(await runCli(['user', 'disable', '--email', ADMIN.email, '--json', '--server', a, '--api-key', adminKey], { timeoutMs: 120_000 }), 1, /last enabled admin/);
      expect((await send(b, '/api/v1/auth/session', { headers: { cookie: admin.cookie } })).json).toMatchObject({ role: 'admin' });
      expectProblem(await send(a, `/api/v1/users/${me.id}`, { method: 'PATCH', headers: asSession(admin), body: {} }), 422, 'validation_failed', 'empty change');
      expectProblem(await send(a, `/api/v1/users/${ZERO}`, { method: 'PATCH', headers: asSession(admin), body: { disabled: true } }), 404, 'not_found', 'unknown user');
    });

    it.each([
      ['a NUL', 'edge\u0000gw'],
      ['a lone surrogate', 'edge\ud800gw'],
      ['a control character', 'edge\u0007gw'],
      ['a terminal escape', 'edge\u001b[2Jgw'],
      ['a bidirectional override', 'edge\u202egw'],
    ])('an API key name or user email with %s is a 422 problem and stores nothing', async (_case, bad) => {
      if (skip) return;
      const key = await send(a, '/api/v1/api-keys', { method: 'POST', headers: asSession(admin), body: { name: bad, role: 'analyst' } });
      expectProblem(key, 422, 'validation_failed', `key name ${JSON.stringify(bad)}`);
      const user = await send(a, '/api/v1/users', { method: 'POST', headers: asSession(admin), body: { email: `${bad}@access.test`, role: 'analyst', password: 'a long enough passphrase' } });
      expectProblem(user, 422, 'validation_failed', `email ${JSON.stringify(bad)}`);
      const keys = (await send(a, '/api/v1/api-keys', { headers: asSession(admin) })).json.apiKeys as Array<{ name: string }>;
      expect(keys.filter((k) => k.name.startsWith('edge') && k.name.endsWith('gw'))).toEqual([]);
    });

    it('the audit chain verifies after all of it', async (ctx) => {
      if (skip) return ctx.skip();
      expect((await send(b, '/api/v1/audit/verify', { headers: bearer(adminKey) })).json).toMatchObject({ ok: true });
    });
  });
}

/** Audit entries with the given actions, oldest first (actor, action, target). */
async function auditActions(base: string, key: string, ...actions: string[]): Promise<Array<{ actor: string; action: string; target: string }>> {
  const res = await fetch(`${base}/api/v1/audit/entries`, { headers: bearer(key) });
  expect(res.status).toBe(200);
  return (await res.text())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { actor: string; action: string; target: string })
    .filter((e) => actions.includes(e.action))
    .map(({ actor, action, target }) => ({ actor, action, target }));
}
