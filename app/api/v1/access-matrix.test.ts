// Role × route matrix over every /api/v1 handler: 401 without credentials or with a bad one,
// 403 exactly for roles without the route's permission, never a 2xx that leaks. Ingest keys (the
// ingest scope, or bound to a source) of every stored role: 403 everywhere but POST /ingest.
// Every route file must appear in ROUTE_PERMISSIONS below, so a new route cannot skip this test.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { can, type Permission } from '@/lib/auth/permissions.ts';
import { createSession } from '@/lib/auth/sessions.ts';
import { createUser } from '@/lib/auth/users.ts';
import { createSource } from '@/lib/services/ingest/index.ts';
import { ROLES, type Role } from '@/lib/domain/types.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';

/** `METHOD /path` (as the folder names it) → the permission it requires. */
export const ROUTE_PERMISSIONS: Record<string, Permission | 'public'> = {
  'POST /auth/sign-in': 'public',
  'GET /auth/oidc/start': 'public',
  'GET /auth/oidc/callback': 'public',
  'POST /auth/sign-out': 'read',
  'POST /auth/sign-out-everywhere': 'read',
  'GET /auth/session': 'read',
  'POST /setup': 'public',
  'GET /summary': 'read',
  'GET /evidence/storage': 'read',
  'GET /evidence/holds': 'read',
  'POST /evidence/holds': 'admin',
  'POST /evidence/holds/[id]/release': 'admin',
  'GET /health': 'public',
  'GET /users': 'admin',
  'POST /users': 'admin',
  'GET /api-keys': 'admin',
  'POST /api-keys': 'admin',
  'POST /api-keys/[id]/revoke': 'admin',
  'PATCH /users/[id]': 'admin',
  'GET /audit/verify': 'admin',
  'GET /audit/entries': 'admin',
  'POST /admin/seed': 'admin',
  'GET /frameworks': 'read',
  'POST /frameworks': 'admin',
  'GET /frameworks/[id]/controls': 'read',
  'GET /exports': 'export',
  'POST /exports': 'export',
  'GET /exports/[id]': 'export',
  'GET /exports/[id]/download': 'export',
  'GET /openapi.json': 'public',
  'GET /tokens': 'read',
  'GET /tokens/[id]': 'read',
  'GET /identities': 'read',
  'GET /identities/[id]': 'read',
  'GET /certificates/[id]': 'read',
  'GET /findings': 'read',
  'POST /findings/acknowledge': 'read',
  'POST /findings/evaluate': 'admin',
  'GET /events': 'read',
  'GET /hops': 'read',
  'GET /risk-policy': 'read',
  'PUT /risk-policy': 'admin',
  'POST /verify/dpop': 'read',
  'POST /verify/mtls': 'read',
  'POST /ingest': 'ingest',
  'GET /ingest/batches': 'read',
  'GET /sources': 'admin',
  'POST /sources': 'admin',
  'GET /sources/log-formats': 'read',
  'GET /sources/[name]/log-format': 'read',
  'PUT /sources/[name]/log-format': 'admin',
  'DELETE /sources/[name]/log-format': 'admin',
  'PUT /sources/[name]/trusted-proxies': 'admin',
  'GET /revocations': 'read',
  'POST /revocations': 'revoke',
  'POST /revocations/preview': 'revoke',
  'GET /revocations/[id]': 'read',
  'POST /revocations/[id]/retry': 'revoke',
  'GET /connectors': 'admin',
  'POST /connectors': 'admin',
  'POST /connectors/[id]/test': 'admin',
  'PATCH /connectors/[id]': 'admin',
  'DELETE /connectors/[id]': 'admin',
  'GET /trust-anchors': 'read',
  'POST /trust-anchors': 'admin',
  'DELETE /trust-anchors/[id]': 'admin',
  'POST /trust-anchors/[id]/crl': 'admin',
  'GET /plans': 'read',
  'POST /plans': 'read',
  'POST /simulations': 'read',
  'GET /plans/[id]': 'read',
  'GET /plans/[id]/export': 'read',
  'GET /plans/[id]/waves/[n]/config': 'read',
};

const ROOT = path.dirname(new URL(import.meta.url).pathname);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return routeFiles(p);
    return name === 'route.ts' ? [p] : [];
  });
}

interface RouteCase {
  key: string;
  method: (typeof METHODS)[number];
  url: string;
  handler: (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
  params: Record<string, string>;
}

async function discover(): Promise<RouteCase[]> {
  const cases: RouteCase[] = [];
  for (const file of routeFiles(ROOT)) {
    const rel = '/' + path.relative(ROOT, path.dirname(file)).split(path.sep).join('/');
    const mod = (await import(file)) as Record<string, RouteCase['handler']>;
    const params: Record<string, string> = {};
    const url = rel.replace(/\[(\.\.\.)?([^\]]+)\]/g, (_m, _dots, name: string) => {
      params[name] = '00000000-0000-4000-8000-000000000000';
      return params[name];
    });
    for (const method of METHODS) {
      if (typeof mod[method] === 'function') cases.push({ key: `${method} ${rel}`, method, url, handler: mod[method]!, params });
    }
  }
  return cases;
}

function request(c: RouteCase, headers: Record<string, string>): Request {
  const hasBody = c.method !== 'GET' && c.method !== 'DELETE';
  return new Request(`http://localhost:3000/api/v1${c.url}`, {
    method: c.method,
    headers: { host: 'localhost:3000', ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers },
    body: hasBody ? '{}' : undefined,
  });
}

const call = (c: RouteCase, headers: Record<string, string>) => c.handler(request(c, headers), { params: Promise.resolve(c.params) });

for (const runtime of RUNTIMES) {
  // Every route × every role, sequentially, including heavy admin actions (seed, evaluate, export).
  describe(`access matrix on ${runtime}`, { timeout: 300_000 }, () => {
    let t: TestDatabase;
    let cases: RouteCase[] = [];
    const keys = {} as Record<Role, string>;
    const sessions = {} as Record<Role, { cookie: string; csrf: string }>;
    /** Keys that may only ingest: the ingest scope with every stored role, and a source's own key. */
    const ingestKeys: Array<{ label: string; key: string }> = [];

    beforeAll(async () => {
      cases = await discover();
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      for (const role of ROLES) {
        keys[role] = (await createApiKey(t.db, { name: `k-${role}`, role, actor: 'test' })).key;
        const u = await createUser(t.db, { email: `${role}@example.com`, role, password: `long password for ${role}`, actor: 'test' });
        const s = await createSession(t.db, u.id, { hours: 1 });
        sessions[role] = { cookie: `hf_session=${s.cookieValue}`, csrf: s.csrfSecret };
        ingestKeys.push({ label: `${role} key with the ingest scope`, key: (await createApiKey(t.db, { name: `ingest-${role}`, role, scopes: ['ingest'], actor: 'test' })).key });
      }
      ingestKeys.push({ label: 'source key', key: (await createSource(t.db, { name: 'edge-matrix', actor: 'test' })).apiKey.key });
      // A source key whose stored role was raised to admin (by hand, or by an older release) stays ingest-only.
      const raised = await createSource(t.db, { name: 'edge-raised', actor: 'test' });
      await t.db.prisma.apiKey.update({ where: { id: raised.apiKey.id }, data: { role: 'admin' } });
      ingestKeys.push({ label: 'source key stored as admin', key: raised.apiKey.key });
    });
    afterAll(async () => {
      registerDatabase(undefined);
      await t?.drop();
    });

    it('knows the permission of every route file', async () => {
      const found = (await discover()).map((c) => c.key).sort();
      expect(found.filter((k) => !(k in ROUTE_PERMISSIONS))).toEqual([]);
      expect(Object.keys(ROUTE_PERMISSIONS).filter((k) => !found.includes(k))).toEqual([]);
    });

    it('answers 401 with a problem body to a request without credentials or with a bad one', async (ctx) => {
      if (!t) ctx.skip();
      for (const c of cases.filter((c) => ROUTE_PERMISSIONS[c.key] !== 'public')) {
        for (const headers of [{}, { authorization: 'Bearer hf_not-a-key' }, { cookie: 'hf_session=forged' }, { authorization: 'Basic abc' }] as Record<string, string>[]) {
          const res = await call(c, headers);
          expect.soft(res.status, `${c.key} ${JSON.stringify(headers)}`).toBe(401);
          expect.soft(res.headers.get('content-type')).toBe('application/problem+json');
        }
      }
    });

    it('answers 403 exactly to the roles without the permission (API keys)', async (ctx) => {
      if (!t) ctx.skip();
      for (const c of cases) {
        const perm = ROUTE_PERMISSIONS[c.key]!;
        if (perm === 'public') continue;
        for (const role of ROLES) {
          const res = await call(c, { authorization: `Bearer ${keys[role]}` });
          const allowed = can({ role, scopes: [] }, perm);
          if (allowed) expect.soft([401, 403], `${c.key} as ${role}`).not.toContain(res.status);
          else expect.soft(res.status, `${c.key} as ${role}`).toBe(403);
          expect.soft(res.status, `${c.key} as ${role} must never 500`).toBeLessThan(500);
        }
      }
    });

    it('answers 403 to ingest keys on every route but POST /ingest, whatever their stored role', async (ctx) => {
      if (!t) ctx.skip();
      expect(ingestKeys).toHaveLength(ROLES.length + 2);
      for (const c of cases) {
        const perm = ROUTE_PERMISSIONS[c.key]!;
        if (perm === 'public') continue;
        for (const { label, key } of ingestKeys) {
          const res = await call(c, { authorization: `Bearer ${key}` });
          if (perm === 'ingest') expect.soft([401, 403], `${c.key} as ${label}`).not.toContain(res.status);
          else {
            expect.soft(res.status, `${c.key} as ${label}`).toBe(403);
            expect.soft(res.headers.get('content-type'), `${c.key} as ${label}`).toBe('application/problem+json');
          }
        }
      }
    });

    it('answers 403 exactly to the roles without the permission (sessions, with CSRF token)', async (ctx) => {
      if (!t) ctx.skip();
      for (const c of cases) {
        const perm = ROUTE_PERMISSIONS[c.key]!;
        if (perm === 'public' || c.key.includes('sign-out')) continue;
        for (const role of ROLES) {
          const s = sessions[role];
          const res = await call(c, { cookie: s.cookie, 'x-csrf-token': s.csrf, origin: 'http://localhost:3000' });
          const allowed = can({ role, scopes: [] }, perm);
          if (allowed) expect.soft([401, 403], `${c.key} as ${role}`).not.toContain(res.status);
          else expect.soft(res.status, `${c.key} as ${role}`).toBe(403);
        }
      }
    });

    it('refuses a state-changing cookie request without the CSRF token or from another origin', async (ctx) => {
      if (!t) ctx.skip();
      const unsafe = cases.filter((c) => c.method !== 'GET' && ROUTE_PERMISSIONS[c.key] === 'admin');
      expect(unsafe.length).toBeGreaterThan(0);
      const admin = sessions.admin;
      for (const c of unsafe) {
        const noToken = await call(c, { cookie: admin.cookie });
        expect.soft((await noToken.json()).code, c.key).toBe('csrf_failed');
        const crossSite = await call(c, { cookie: admin.cookie, 'x-csrf-token': admin.csrf, origin: 'https://evil.example' });
        expect.soft(crossSite.status, c.key).toBe(403);
      }
    });
  });
}
