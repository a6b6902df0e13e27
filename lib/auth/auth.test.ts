import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoldfastError } from '../errors.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createApiKey, resolveApiKey, revokeApiKey } from './api-keys.ts';
import { bootstrapAdmin, completeSetup } from './bootstrap.ts';
import { can } from './permissions.ts';
import { hashPassword, verifyPassword } from './secrets.ts';
import { createSession, endAllSessions, resolveSession } from './sessions.ts';
import { createUser, LOCKOUT_MS, MAX_FAILED_LOGINS, setUserRole, signInWithPassword } from './users.ts';

describe('password hashing', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const h = await hashPassword('correct horse battery staple');
    expect(h).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', h)).toBe(false);
  });
  it('salts: the same password hashes differently', async () => {
    expect(await hashPassword('same password here')).not.toBe(await hashPassword('same password here'));
  });
});

describe('role permissions', () => {
  it.each([
    ['analyst', 'read', true], ['analyst', 'revoke', false], ['analyst', 'export', false], ['analyst', 'admin', false],
    ['operator', 'revoke', true], ['operator', 'export', false], ['auditor', 'export', true], ['auditor', 'revoke', false],
    ['admin', 'admin', true], ['admin', 'revoke', true], ['admin', 'export', true],
  ] as const)('%s may %s: %s', (role, perm, expected) => expect(can({ role, scopes: [] }, perm)).toBe(expected));
  it('an analyst API key with the ingest scope may ingest', () => expect(can({ role: 'analyst', scopes: ['ingest'] }, 'ingest')).toBe(true));
});

for (const runtime of RUNTIMES) {
  describe(`accounts, sessions and API keys on ${runtime}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
    });
    afterAll(async () => t?.drop());

    it('creates the first admin from the environment once', async (ctx) => {
      if (!t) ctx.skip();
      expect(await bootstrapAdmin(t.db, { adminEmail: 'root@example.com', adminPassword: 'a sufficiently long one' })).toEqual({ kind: 'admin_created', email: 'root@example.com' });
      expect(await bootstrapAdmin(t.db, { adminEmail: 'root@example.com', adminPassword: 'a sufficiently long one' })).toEqual({ kind: 'existing' });
    });

    it('refuses a duplicate email with a conflict', async (ctx) => {
      if (!t) ctx.skip();
      await expect(createUser(t.db, { email: 'Root@Example.com', role: 'analyst', password: 'another long password', actor: 'test' })).rejects.toMatchObject({ code: 'conflict' });
    });

    it('signs in with the right password and gives the same generic failure for unknown user and wrong password', async (ctx) => {
      if (!t) ctx.skip();
      const ok = await signInWithPassword(t.db, 'root@example.com', 'a sufficiently long one', { ip: '127.0.0.1' });
      expect(ok.ok).toBe(true);
      expect(await signInWithPassword(t.db, 'nobody@example.com', 'whatever password', {})).toEqual({ ok: false, reason: 'invalid_credentials' });
      expect(await signInWithPassword(t.db, 'root@example.com', 'wrong password!!', {})).toEqual({ ok: false, reason: 'invalid_credentials' });
    });

    it(`locks an account after ${MAX_FAILED_LOGINS} bad passwords, even for the right one, until the lockout ends`, async (ctx) => {
      if (!t) ctx.skip();
      await createUser(t.db, { email: 'victim@example.com', role: 'analyst', password: 'victim password 123', actor: 'test' });
      const now = Date.now();
      for (let i = 0; i < MAX_FAILED_LOGINS; i++) await signInWithPassword(t.db, 'victim@example.com', 'guess ' + i, {}, now);
      expect(await signInWithPassword(t.db, 'victim@example.com', 'victim password 123', {}, now + 1000)).toEqual({ ok: false, reason: 'locked' });
      expect((await signInWithPassword(t.db, 'victim@example.com', 'victim password 123', {}, now + LOCKOUT_MS + 1000)).ok).toBe(true);
    });

    it('resolves a session by its cookie, stores only its digest, and expires it', async (ctx) => {
      if (!t) ctx.skip();
      const user = await t.db.prisma.user.findUniqueOrThrow({ where: { email: 'root@example.com' } });
      const now = Date.now();
      const s = await createSession(t.db, user.id, { hours: 1 }, now);
      expect(await t.db.prisma.session.count({ where: { id: s.cookieValue } })).toBe(0);
      expect((await resolveSession(t.db, s.cookieValue, now + 1000))?.user.email).toBe('root@example.com');
      expect(await resolveSession(t.db, s.cookieValue + 'x', now)).toBeNull();
      expect(await resolveSession(t.db, s.cookieValue, now + 3600_000 + 1)).toBeNull();
    });

    it('voids every session on a role change and on sign-out everywhere', async (ctx) => {
      if (!t) ctx.skip();
      const u = await createUser(t.db, { email: 'ops@example.com', role: 'analyst', password: 'operator password 1', actor: 'test' });
      const a = await createSession(t.db, u.id, { hours: 1 });
      await setUserRole(t.db, u.id, 'operator', 'test');
      expect(await resolveSession(t.db, a.cookieValue)).toBeNull();
      const b = await createSession(t.db, u.id, { hours: 1 });
      expect((await resolveSession(t.db, b.cookieValue))?.user.role).toBe('operator');
      await endAllSessions(t.db, u.id, 'test');
      expect(await resolveSession(t.db, b.cookieValue)).toBeNull();
    });

    it('creates an API key shown once, stored hashed, resolvable until revoked', async (ctx) => {
      if (!t) ctx.skip();
      const k = await createApiKey(t.db, { name: 'nginx-edge', role: 'analyst', scopes: ['ingest'], actor: 'test' });
      expect(k.key).toMatch(/^hf_[A-Za-z0-9_-]{43}$/);
      const row = await t.db.prisma.apiKey.findUniqueOrThrow({ where: { id: k.id } });
      expect(JSON.stringify(row)).not.toContain(k.key);
      expect((await resolveApiKey(t.db, k.key))?.scopes).toEqual(['ingest']);
      await revokeApiKey(t.db, k.id, 'test');
      expect(await resolveApiKey(t.db, k.key)).toBeNull();
    });

    it('redeems a setup link once', async (ctx) => {
      if (!t) ctx.skip();
      await expect(completeSetup(t.db, 'not-a-real-token-value', 'x@example.com', 'long enough password')).rejects.toBeInstanceOf(HoldfastError);
    });
  });
}
