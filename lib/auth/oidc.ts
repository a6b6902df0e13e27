// Optional sign-in with an external OpenID Provider: authorization code flow with PKCE (S256),
// state and nonce (oauth4webapi). Configured by HOLDFAST_OIDC_ISSUER / _CLIENT_ID /
// _CLIENT_SECRET; the role comes from an allow-list (HOLDFAST_OIDC_USERS) or a claim
// (HOLDFAST_OIDC_ROLE_CLAIM). A user matched by neither gets NO access (no account is made):
// being able to sign in at the company IdP is not a reason to see every machine credential.
// The flow state (state, nonce, code verifier, return path) rides in a short-lived cookie sealed
// with the instance key, so any instance can finish a flow another one started.
import * as oauth from 'oauth4webapi';
import { z } from 'zod';
import { readSetting, type Env } from '../config.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { openSecret, sealSecret } from '../crypto/seal.ts';
import type { Database } from '../db/open.ts';
import { ROLES, type Role } from '../domain/types.ts';
import { HoldfastError } from '../errors.ts';
import { safeNext } from '../http/safe-next.ts';

export const OIDC_FLOW_COOKIE = 'hf_oidc';
const FLOW_AAD = 'oidc-flow';
const FLOW_SECONDS = 600;

export interface OidcConfig {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** email (lower case) → role; `*@domain` entries match a whole domain. */
  users: Map<string, Role>;
  /** ID token claim carrying a Holdfast role name. */
  roleClaim: string | null;
  scope: string;
}

function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** null when OIDC is not configured; config_invalid when it is half-configured or malformed. */
export function oidcConfig(env?: Env): OidcConfig | null {
  const issuer = readSetting('HOLDFAST_OIDC_ISSUER', env);
  const clientId = readSetting('HOLDFAST_OIDC_CLIENT_ID', env);
  const clientSecret = readSetting('HOLDFAST_OIDC_CLIENT_SECRET', env);
  if (!issuer && !clientId && !clientSecret) return null;
  if (!issuer || !clientId || !clientSecret) {
    throw new HoldfastError('config_invalid', 'HOLDFAST_OIDC_ISSUER, HOLDFAST_OIDC_CLIENT_ID and HOLDFAST_OIDC_CLIENT_SECRET go together');
  }
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new HoldfastError('config_invalid', 'HOLDFAST_OIDC_ISSUER: must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !isLoopback(url)) throw new HoldfastError('config_invalid', 'HOLDFAST_OIDC_ISSUER: must be https (http only on loopback)');
  const users = new Map<string, Role>();
  for (const entry of (readSetting('HOLDFAST_OIDC_USERS', env) ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [email, role] = entry.split('=').map((s) => s.trim());
    if (!email || !isRole(role)) throw new HoldfastError('config_invalid', `HOLDFAST_OIDC_USERS: "${entry.slice(0, 60)}" is not email=role (role one of ${ROLES.join(', ')})`);
    users.set(email.toLowerCase(), role);
  }
  const roleClaim = readSetting('HOLDFAST_OIDC_ROLE_CLAIM', env) || null;
  if (users.size === 0 && !roleClaim) throw new HoldfastError('config_invalid', 'OIDC needs HOLDFAST_OIDC_USERS (email=role,…) or HOLDFAST_OIDC_ROLE_CLAIM to decide roles');
  return { issuer: url, clientId, clientSecret, users, roleClaim, scope: readSetting('HOLDFAST_OIDC_SCOPE', env) || 'openid email' };
}

function isLoopback(u: URL): boolean {
  return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
}

/** The role for verified ID token claims, or null (no access). Allow-list first, then the claim. */
export function roleFor(cfg: OidcConfig, claims: Record<string, unknown>): Role | null {
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
  // An unverified email address proves nothing (anyone can type one into an IdP profile).
  if (email && claims.email_verified !== false) {
    const exact = cfg.users.get(email);
    if (exact) return exact;
    const domain = cfg.users.get(`*@${email.split('@')[1] ?? ''}`);
    if (domain) return domain;
  }
  if (cfg.roleClaim) {
    const v = claims[cfg.roleClaim];
    const values = Array.isArray(v) ? v : [v];
    // Several roles in the claim: the least privileged one wins (never escalate on ambiguity).
    for (const r of ['analyst', 'auditor', 'operator', 'admin'] as const) if (values.includes(r)) return r;
  }
  return null;
}

const discovery = new Map<string, Promise<oauth.AuthorizationServer>>();

function requestOptions(cfg: OidcConfig) {
  return isLoopback(cfg.issuer) && cfg.issuer.protocol === 'http:' ? { [oauth.allowInsecureRequests]: true } : {};
}

async function authorizationServer(cfg: OidcConfig): Promise<oauth.AuthorizationServer> {
  const k = cfg.issuer.href;
  let p = discovery.get(k);
  if (!p) {
    p = (async () => {
      const res = await oauth.discoveryRequest(cfg.issuer, { algorithm: 'oidc', signal: AbortSignal.timeout(10_000), ...requestOptions(cfg) });
      return oauth.processDiscoveryResponse(cfg.issuer, res);
    })();
    discovery.set(k, p);
    p.catch(() => discovery.delete(k)); // retry discovery next time
  }
  return p;
}

interface FlowState {
  state: string;
  nonce: string;
  verifier: string;
  next: string;
  redirectUri: string;
  exp: number;
}

// The one same-origin check for every `next` (lib/http/safe-next.ts); re-exported for callers of this module.
export { safeNext };

/** GET /api/v1/auth/oidc/start's query. `next` is never refused: one that is not a path on this site lands on / (safeNext). */
export const OidcStartQuerySchema = z.object({
  next: z.string().optional().describe('where to land after signing in: a path on this site (anything else lands on /)'),
});

/** Where to send the browser, and the sealed flow cookie value to set. */
export async function startOidc(cfg: OidcConfig, key: Buffer, opts: { redirectUri: string; next?: string | null }, nowMs = Date.now()) {
  const as = await authorizationServer(cfg).catch(() => {
    throw new HoldfastError('upstream_failed', 'the OpenID Provider could not be reached');
  });
  if (!as.authorization_endpoint) throw new HoldfastError('upstream_failed', 'the OpenID Provider has no authorization endpoint');
  const flow: FlowState = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier: oauth.generateRandomCodeVerifier(),
    next: safeNext(opts.next),
    redirectUri: opts.redirectUri,
    exp: nowMs + FLOW_SECONDS * 1000,
  };
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('client_id', cfg.clientId);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('redirect_uri', opts.redirectUri);
  url.searchParams.set('scope', cfg.scope);
  url.searchParams.set('state', flow.state);
  url.searchParams.set('nonce', flow.nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(flow.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { location: url.href, cookie: sealSecret(key, JSON.stringify(flow), FLOW_AAD), maxAgeSeconds: FLOW_SECONDS };
}

export type OidcOutcome =
  | { ok: true; user: { id: string; email: string; role: Role }; next: string }
  | { ok: false; reason: string; email: string | null };

/**
 * Finishes the flow: checks state, exchanges the code with the PKCE verifier, validates the ID
 * token (signature, iss, aud, exp, nonce) and maps the user to a role. Creates the local user on
 * first sign-in; the IdP mapping is authoritative for the role (a change voids old sessions).
 * Every outcome is audited.
 */
export async function finishOidc(db: Database, cfg: OidcConfig, key: Buffer, opts: { callbackUrl: URL; flowCookie: string | null; ip: string | null }, nowMs = Date.now()): Promise<OidcOutcome> {
  const failed = async (reason: string, email: string | null = null): Promise<OidcOutcome> => {
    await db.prisma.$transaction(async (tx) => {
      await appendAuditEntry(tx, { actor: 'anonymous', action: 'auth.sign_in_failed', target: email ? `user:${email}` : 'oidc', details: { ip: opts.ip, method: 'oidc', why: reason } });
    });
    return { ok: false, reason, email };
  };
  let flow: FlowState;
  try {
    flow = JSON.parse(openSecret(key, opts.flowCookie ?? '', FLOW_AAD)) as FlowState;
  } catch {
    return failed('no_flow');
  }
  if (flow.exp < nowMs) return failed('flow_expired');
  let claims: Record<string, unknown>;
  try {
    const as = await authorizationServer(cfg);
    const client: oauth.Client = { client_id: cfg.clientId };
    const params = oauth.validateAuthResponse(as, client, opts.callbackUrl, flow.state);
    const res = await oauth.authorizationCodeGrantRequest(as, client, oauth.ClientSecretPost(cfg.clientSecret), params, flow.redirectUri, flow.verifier, {
      signal: AbortSignal.timeout(10_000),
      ...requestOptions(cfg),
    });
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: flow.nonce, requireIdToken: true });
    claims = { ...(oauth.getValidatedIdTokenClaims(tokens) ?? {}) };
  } catch (e) {
    const code = e instanceof oauth.AuthorizationResponseError ? 'idp_error' : (e as { code?: string }).code ?? 'invalid_response';
    return failed(String(code).slice(0, 60));
  }
  const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : null;
  if (!email || !/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) return failed('no_email');
  const role = roleFor(cfg, claims);
  if (!role) return failed('not_allowed', email);
  return db.prisma.$transaction(async (tx) => {
    let user = await tx.user.findUnique({ where: { email } });
    if (user?.disabled) {
      await appendAuditEntry(tx, { actor: 'anonymous', action: 'auth.sign_in_failed', target: `user:${email}`, details: { ip: opts.ip, method: 'oidc', why: 'disabled' } });
      return { ok: false, reason: 'disabled', email } as const;
    }
    if (!user) {
      user = await tx.user.create({ data: { email, role, passwordHash: null } });
      await appendAuditEntry(tx, { actor: `oidc:${cfg.issuer.host}`, action: 'user.create', target: `user:${email}`, details: { role, method: 'oidc', sub: claims.sub ?? null } });
    } else if (user.role !== role) {
      const from = user.role;
      user = await tx.user.update({ where: { id: user.id }, data: { role, sessionEpoch: { increment: 1 } } });
      await tx.session.deleteMany({ where: { userId: user.id } });
      await appendAuditEntry(tx, { actor: `oidc:${cfg.issuer.host}`, action: 'user.role_change', target: `user:${email}`, details: { from, to: role, method: 'oidc' } });
    }
    await appendAuditEntry(tx, { actor: `user:${email}`, action: 'auth.sign_in', target: `user:${email}`, details: { ip: opts.ip, method: 'oidc', issuer: cfg.issuer.href } });
    return { ok: true, user: { id: user.id, email: user.email, role: user.role }, next: flow.next } as const;
  });
}
