import { compactVerify, createLocalJWKSet, type JSONWebKeySet, type JWK, type KeyObject } from 'jose';
import { BINDINGS, type Binding } from '../domain/types.ts';
import { isCanonicalBase64url } from '../credentials/base64url.ts';
import { bindingOfClaims, decideBinding, readCnf, type BindingAnomaly } from '../credentials/cnf-binding.ts';
import { BindingError } from './errors.ts';

export { bindingOfClaims, decideBinding, readCnf, type BindingAnomaly, type ClaimsBinding, type CnfFacts } from '../credentials/cnf-binding.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';

/** Where what we know about a token comes from. Raw token strings are fingerprinted and dropped. */
export type TokenSource =
  | { kind: 'jwt'; token: string }
  | { kind: 'introspection'; response: unknown; token?: string | null }
  | { kind: 'inventory'; row: unknown };

export interface ClassifyTokenOptions {
  /** Clock in milliseconds since the epoch (for time left / expired). */
  now?: () => number;
  /** Issuer key material; when set, a JWT's signature is verified too. */
  verification?: { jwks?: JSONWebKeySet; key?: JWK | KeyObject; algorithms?: string[] } | null;
}

export interface ClassifiedToken {
  source: TokenSource['kind'];
  /** SHA-256 base64url of the raw token, when we saw it. */
  fingerprint: string | null;
  /**
   * `dpop` (cnf.jkt), `mtls` (cnf x5t#S256) or `bearer`. A token carrying both confirmation
   * members is classified `bearer` with `bindingAnomaly`: no single binding can be relied on
   * (oidc-provider refuses to issue one; resource servers differ in which they enforce).
   */
  binding: Binding;
  cnfX5tS256: string | null;
  cnfJkt: string | null;
  bindingAnomaly: boolean;
  anomaly: BindingAnomaly | null;
  issuer: string | null;
  subject: string | null;
  clientId: string | null;
  audience: string[];
  scopes: string[];
  jti: string | null;
  tokenType: string | null;
  issuedAt: Date | null;
  notBefore: Date | null;
  expiresAt: Date | null;
  /** exp − iat, the lifetime the issuer granted. */
  ttlSeconds: number | null;
  /** exp − now; negative once expired. */
  secondsLeft: number | null;
  expired: boolean | null;
  /** Introspection `active`; null for JWTs and inventory rows that do not say. */
  active: boolean | null;
  signature: 'verified' | 'invalid' | 'not_checked';
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function num(v: unknown): number | null {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d{1,12}$/.test(v)) return Number(v);
  return null;
}

function date(v: unknown): Date | null {
  const n = num(v);
  if (n !== null) return new Date(n * 1000);
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : new Date(ms);
  }
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v;
  return null;
}

function strList(v: unknown, split: boolean): string[] {
  if (typeof v === 'string') return split ? v.split(/\s+/).filter(Boolean) : v ? [v] : [];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x.length > 0);
  return [];
}

function asObject(v: unknown): Record<string, unknown> | null {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

function fromClaims(
  source: TokenSource['kind'],
  claims: Record<string, unknown>,
  fingerprint: string | null,
  nowMs: number,
  extra: { active: boolean | null; signature: ClassifiedToken['signature'] },
): ClassifiedToken {
  const { binding, anomaly, cnfJkt, cnfX5tS256 } = bindingOfClaims(claims);
  const issuedAt = date(claims.iat);
  const expiresAt = date(claims.exp);
  const scopes = claims.scope !== undefined ? strList(claims.scope, true) : strList(claims.scp, true);
  return {
    source,
    fingerprint,
    binding,
    cnfX5tS256,
    cnfJkt,
    bindingAnomaly: anomaly !== null,
    anomaly,
    issuer: str(claims.iss),
    subject: str(claims.sub),
    clientId: str(claims.client_id) ?? str(claims.azp),
    audience: strList(claims.aud, false),
    scopes,
    jti: str(claims.jti),
    tokenType: str(claims.token_type),
    issuedAt,
    notBefore: date(claims.nbf),
    expiresAt,
    ttlSeconds: issuedAt && expiresAt ? Math.round((expiresAt.getTime() - issuedAt.getTime()) / 1000) : null,
    secondsLeft: expiresAt ? Math.floor((expiresAt.getTime() - nowMs) / 1000) : null,
    expired: expiresAt ? expiresAt.getTime() <= nowMs : null,
    active: extra.active,
    signature: extra.signature,
  };
}

/** Decodes a JWS-compact JWT's header and claims without verifying it. */
export function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  if (typeof token !== 'string') throw new BindingError('jwt_malformed', 'token must be a string');
  const parts = token.trim().split('.');
  if (parts.length === 5) throw new BindingError('jwt_malformed', 'token is an encrypted JWT (JWE); use introspection');
  if (parts.length !== 3) throw new BindingError('jwt_malformed', 'token is not a JWT (opaque token?); use introspection');
  const decode = (seg: string, what: string): Record<string, unknown> => {
    if (seg.length === 0 || !isCanonicalBase64url(seg)) throw new BindingError('jwt_malformed', `JWT ${what} is not canonical base64url`);
    let v: unknown;
    try {
      v = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
    } catch {
      throw new BindingError('jwt_malformed', `JWT ${what} is not JSON`);
    }
    const o = asObject(v);
    if (!o) throw new BindingError('jwt_malformed', `JWT ${what} is not a JSON object`);
    return o;
  };
  return { header: decode(parts[0] as string, 'header'), claims: decode(parts[1] as string, 'claims') };
}

async function verifySignature(token: string, v: NonNullable<ClassifyTokenOptions['verification']>): Promise<boolean> {
  const options = { algorithms: v.algorithms };
  try {
    if (v.jwks) await compactVerify(token, createLocalJWKSet(v.jwks), options);
    else if (v.key) await compactVerify(token, v.key, options);
    else return false;
    return true;
  } catch {
    return false;
  }
}

const BINDINGS_SET = new Set<string>(BINDINGS);

function classifyInventoryRow(rowRaw: unknown, nowMs: number): ClassifiedToken {
  const row = asObject(rowRaw);
  if (!row) throw new BindingError('inventory_invalid', 'inventory row must be an object');
  const cnfObj = asObject(row.cnf) ?? {};
  const cnf = readCnf({
    ...cnfObj,
    ...(row.jkt !== undefined || row.cnfJkt !== undefined ? { jkt: row.jkt ?? row.cnfJkt } : {}),
    ...(row.x5tS256 !== undefined || row.cnfX5tS256 !== undefined || row['x5t#S256'] !== undefined
      ? { 'x5t#S256': row.x5tS256 ?? row.cnfX5tS256 ?? row['x5t#S256'] }
      : {}),
  });
  const declared = row.binding;
  if (declared !== undefined && declared !== null && (typeof declared !== 'string' || !BINDINGS_SET.has(declared))) {
    throw new BindingError('inventory_invalid', 'inventory "binding" must be bearer, mtls or dpop');
  }
  const raw = str(row.token);
  const fingerprint = raw ? fingerprintToken(raw) : str(row.fingerprint);
  const claims: Record<string, unknown> = {
    iss: row.issuer ?? row.iss,
    sub: row.subject ?? row.sub,
    client_id: row.clientId ?? row.client_id,
    aud: row.audience ?? row.aud,
    scope: row.scopes ?? row.scope,
    jti: row.jti,
    token_type: row.tokenType ?? row.token_type,
    iat: row.issuedAt ?? row.iat,
    nbf: row.notBefore ?? row.nbf,
    exp: row.expiresAt ?? row.exp,
  };
  const out = fromClaims('inventory', claims, fingerprint, nowMs, {
    active: typeof row.active === 'boolean' ? row.active : null,
    signature: 'not_checked',
  });
  out.cnfJkt = cnf.jkt;
  out.cnfX5tS256 = cnf.x5t;
  const decided = decideBinding(cnf);
  out.binding = decided.binding;
  out.anomaly = decided.anomaly;
  const hasCnf = cnf.jkt !== null || cnf.x5t !== null;
  if (typeof declared === 'string') {
    if (!hasCnf && !cnf.malformed) out.binding = declared as Binding;
    else if (hasCnf && !out.anomaly && declared !== decided.binding) out.anomaly = 'declared_binding_conflict';
  }
  out.bindingAnomaly = out.anomaly !== null;
  return out;
}

/**
 * Classifies a token as bearer, mtls (cnf x5t#S256) or dpop (cnf.jkt) from a JWT, an RFC 7662
 * introspection response or an inventory row, with its lifetime facts. A JWT's signature is
 * verified when issuer keys are configured. The raw token is reduced to its fingerprint.
 */
export async function classifyToken(source: TokenSource, options: ClassifyTokenOptions = {}): Promise<ClassifiedToken> {
  const nowMs = (options.now ?? Date.now)();
  if (typeof source !== 'object' || source === null) throw new BindingError('input_invalid', 'token source must be an object');
  switch (source.kind) {
    case 'jwt': {
      const { claims } = decodeJwt(source.token);
      const token = source.token.trim();
      const signature = options.verification ? ((await verifySignature(token, options.verification)) ? 'verified' : 'invalid') : 'not_checked';
      return fromClaims('jwt', claims, fingerprintToken(token), nowMs, { active: null, signature });
    }
    case 'introspection': {
      const resp = asObject(source.response);
      if (!resp) throw new BindingError('introspection_invalid', 'introspection response must be a JSON object');
      if (typeof resp.active !== 'boolean') throw new BindingError('introspection_invalid', 'introspection response lacks boolean "active" (RFC 7662 §2.2)');
      const fp = source.token ? fingerprintToken(source.token) : null;
      return fromClaims('introspection', resp, fp, nowMs, { active: resp.active, signature: 'not_checked' });
    }
    case 'inventory':
      return classifyInventoryRow(source.row, nowMs);
    default:
      throw new BindingError('input_invalid', 'unknown token source kind');
  }
}
