// Sign-in with an external OpenID Provider, against a REAL oidc-provider on 127.0.0.1: the
// browser journey is driven with fetch (redirects followed by hand, the provider's login and
// consent interactions posted like a user would), through the real start and callback route
// handlers. Checks PKCE/state/nonce plumbing end to end, role mapping (allow-list and claim),
// no access for unknown users, refused forged/missing flow state, session and audit entries.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '@/lib/audit/verify-audit-chain.ts';
import { oidcConfig, roleFor } from '@/lib/auth/oidc.ts';
import { resolveSession, SESSION_COOKIE } from '@/lib/auth/sessions.ts';
import { readCookie } from '@/lib/http/request-auth.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { registerSecretKey } from '@/lib/server/secret-key.ts';
import { openTestDatabase, type TestDatabase } from '@/lib/testing/databases.ts';
import { GET as callback } from './callback/route.ts';
import { GET as start } from './start/route.ts';

const APP = 'http://localhost:3000';
const REDIRECT = `${APP}/api/v1/auth/oidc/callback`;
// Accounts at the IdP: the claim carries a Holdfast role for some of them.
const ACCOUNTS: Record<string, { email: string; role?: string; verified?: boolean }> = {
  alice: { email: 'alice@corp.test' }, // allow-listed as operator
  bob: { email: 'bob@corp.test', role: 'auditor' }, // role from the claim
  mallory: { email: 'mallory@elsewhere.test' }, // neither: no access
  eve: { email: 'alice@corp.test', verified: false }, // claims alice's address, unverified
};

class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i).trim(), pair!.slice(i + 1).trim());
    }
  }
  header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

describe('sign-in with a real OpenID Provider', () => {
  let server: http.Server;
  let issuer = '';
  let t: TestDatabase;
  const secret = randomUUID();
  const saved = { ...process.env };

  beforeAll(async () => {
    server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const provider = new Provider(issuer, {
      clients: [{ client_id: 'holdfast', client_secret: secret, redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' }],
      cookies: { keys: [randomUUID()] },
      scopes: ['openid', 'email', 'holdfast'],
      claims: { email: ['email', 'email_verified'], holdfast: ['holdfast_role'] },
      conformIdTokenClaims: false, // put the scope's claims in the ID token itself
      pkce: { required: () => true },
      features: { devInteractions: { enabled: true } },
      async findAccount(_ctx: unknown, id: string) {
        const a = ACCOUNTS[id];
        if (!a) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, email: a.email, email_verified: a.verified ?? true, ...(a.role ? { holdfast_role: a.role } : {}) }) };
      },
    });
    server.on('request', provider.callback());
    t = await openTestDatabase('pglite');
    registerDatabase(t.db);
    registerSecretKey(randomBytes(32));
    Object.assign(process.env, {
      HOLDFAST_OIDC_ISSUER: issuer,
      HOLDFAST_OIDC_CLIENT_ID: 'holdfast',
      HOLDFAST_OIDC_CLIENT_SECRET: secret,
      HOLDFAST_OIDC_USERS: 'alice@corp.test=operator',
      HOLDFAST_OIDC_ROLE_CLAIM: 'holdfast_role',
      HOLDFAST_OIDC_SCOPE: 'openid email holdfast',
    });
  }, 60_000);
  afterAll(async () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    registerDatabase(undefined);
    registerSecretKey(undefined);
    await t?.drop();
    server?.closeAllConnections?.();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  /** Browser at the app: start → IdP (login as `account`, consent) → back at the callback. */
  async function journey(account: string, opts: { next?: string; tamper?: (callbackUrl: URL, appCookies: Jar) => void } = {}) {
    const app = new Jar();
    const s = await start(new Request(`${APP}/api/v1/auth/oidc/start?next=${encodeURIComponent(opts.next ?? '/tokens')}`, { headers: { host: 'localhost:3000' } }));
    expect(s.status).toBe(302);
    app.take(s);
    let url = new URL(s.headers.get('location')!);
    expect(url.origin).toBe(issuer);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(url.searchParams.get('state')).toBeTruthy();
    expect(url.searchParams.get('nonce')).toBeTruthy();
    const idp = new Jar();
    for (let hops = 0; hops < 20; hops++) {
      if (url.href.startsWith(REDIRECT)) break;
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: idp.header() } });
      idp.take(res);
      if (res.status >= 300 && res.status < 400) {
        url = new URL(res.headers.get('location')!, url);
        continue;
      }
      const html = await res.text();
      expect(res.status, html.slice(0, 300)).toBe(200);
      const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
      const form: Record<string, string> = prompt === 'login' ? { prompt, login: account, password: 'any' } : { prompt: prompt ?? 'consent' };
      const post = await fetch(url, { method: 'POST', redirect: 'manual', headers: { cookie: idp.header(), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
      idp.take(post);
      expect(post.status, await post.clone().text()).toBeGreaterThanOrEqual(300);
      url = new URL(post.headers.get('location')!, url);
    }
    expect(url.href.startsWith(REDIRECT)).toBe(true);
    opts.tamper?.(url, app);
    const cb = await callback(new Request(url, { headers: { host: 'localhost:3000', cookie: app.header() } }));
    expect(cb.status).toBe(303);
    const session = readCookie(cb.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), SESSION_COOKIE);
    return { location: cb.headers.get('location'), session, setCookies: cb.headers.getSetCookie() };
  }

  const auditActions = async (email: string) =>
    (await t.db.query<{ action: string; details: { method?: string; why?: string } }>(`SELECT action, details FROM "AuditEntry" WHERE target = $1 ORDER BY seq`, [`user:${email}`])).map((r) => `${r.action}:${r.details?.why ?? r.details?.method ?? ''}`);

  it('allow-listed user: session created like a password sign-in, role from the list, back to next, audited', async () => {
    const r = await journey('alice', { next: '/tokens?risk=high' });
    expect(r.location).toBe('/tokens?risk=high');
    expect(r.session).toBeTruthy();
    expect(r.setCookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`))).toMatch(/HttpOnly.*SameSite=Lax/);
    const s = await resolveSession(t.db, r.session);
    expect(s?.user).toMatchObject({ email: 'alice@corp.test', role: 'operator' });
    expect(await auditActions('alice@corp.test')).toEqual(['user.create:oidc', 'auth.sign_in:oidc']);
  }, 60_000);

  it('role from the ID token claim; an open redirect in next is neutralised', async () => {
    const r = await journey('bob', { next: '//evil.example/x' });
    expect(r.location).toBe('/');
    expect((await resolveSession(t.db, r.session))?.user.role).toBe('auditor');
  }, 60_000);

  it('unknown user and unverified email get no access and no account', async () => {
    for (const who of ['mallory', 'eve']) {
      const r = await journey(who);
      expect(r.location).toBe('/sign-in?error=sso');
      expect(r.session).toBeNull();
    }
    expect(await t.db.prisma.user.count({ where: { email: 'mallory@elsewhere.test' } })).toBe(0);
    expect(await auditActions('mallory@elsewhere.test')).toEqual(['auth.sign_in_failed:not_allowed']);
    // eve claimed alice's address without verification: alice's account saw only her own sign-in.
    expect(await auditActions('alice@corp.test')).toEqual(['user.create:oidc', 'auth.sign_in:oidc', 'auth.sign_in_failed:not_allowed']);
  }, 60_000);

  it('refuses a callback without the flow cookie, with a forged state, or replayed', async () => {
    const noCookie = await journey('alice', { tamper: (_u, jar) => jar.cookies.clear() });
    expect(noCookie).toMatchObject({ location: '/sign-in?error=sso', session: null });
    const forged = await journey('alice', { tamper: (u) => u.searchParams.set('state', 'attacker-state') });
    expect(forged).toMatchObject({ location: '/sign-in?error=sso', session: null });
    // A code injected from another flow (the attacker's own code with the victim's cookie).
    let stolen: URL | null = null;
    await journey('bob', { tamper: (u) => (stolen = new URL(u)) });
    const injected = await journey('alice', {
      tamper: (u) => {
        u.searchParams.set('code', stolen!.searchParams.get('code')!);
      },
    });
    expect(injected).toMatchObject({ location: '/sign-in?error=sso', session: null });
  }, 120_000);

  it('the audit chain is intact after all of it', async () => {
    expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, firstBadEntry: null });
  });
});

describe('OIDC configuration and role mapping', () => {
  it('is off when unset, refuses half or unmapped configuration, https only off loopback', () => {
    expect(oidcConfig({})).toBeNull();
    expect(() => oidcConfig({ HOLDFAST_OIDC_ISSUER: 'https://idp.test' })).toThrow(/go together/);
    const base = { HOLDFAST_OIDC_ISSUER: 'https://idp.test', HOLDFAST_OIDC_CLIENT_ID: 'c', HOLDFAST_OIDC_CLIENT_SECRET: 's' };
    expect(() => oidcConfig(base)).toThrow(/HOLDFAST_OIDC_USERS/);
    expect(() => oidcConfig({ ...base, HOLDFAST_OIDC_ISSUER: 'http://idp.test', HOLDFAST_OIDC_USERS: 'a@b.c=admin' })).toThrow(/https/);
    expect(() => oidcConfig({ ...base, HOLDFAST_OIDC_USERS: 'a@b.c=root' })).toThrow(/email=role/);
  });
  it('allow-list beats the claim, domains match, several claimed roles give the least privileged', () => {
    const cfg = oidcConfig({ HOLDFAST_OIDC_ISSUER: 'https://idp.test', HOLDFAST_OIDC_CLIENT_ID: 'c', HOLDFAST_OIDC_CLIENT_SECRET: 's', HOLDFAST_OIDC_USERS: 'boss@corp.test=admin,*@corp.test=analyst', HOLDFAST_OIDC_ROLE_CLAIM: 'roles' })!;
    expect(roleFor(cfg, { email: 'Boss@Corp.test', email_verified: true, roles: 'analyst' })).toBe('admin');
    expect(roleFor(cfg, { email: 'x@corp.test' })).toBe('analyst');
    expect(roleFor(cfg, { email: 'x@other.test', roles: ['admin', 'auditor'] })).toBe('auditor');
    expect(roleFor(cfg, { email: 'x@other.test', roles: ['root'] })).toBeNull();
    expect(roleFor(cfg, { email: 'boss@corp.test', email_verified: false })).toBeNull();
  });
});
