// Helpers shared by the format parsers: JSON shape checks, "unset" conventions, timestamps,
// Authorization header handling (fingerprint + claims, raw token dropped), source verdicts.
import { certFailureOfVerify } from '../credentials/cert-failure.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { sha256B64url } from './hash.ts';
import { redact, redactJsonLine } from './redact.ts';
import { err, type ParseErrorReason, type ParseResult } from './types.ts';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Thrown inside a parser body, caught by `guard`, turned into an error result. */
export class FieldError extends Error {
  constructor(
    readonly reason: ParseErrorReason,
    message: string,
  ) {
    super(message);
  }
}

/** JSON.parse of one line into an object; throws FieldError otherwise (use inside `guard`). */
export function jsonObject(text: string): Json {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FieldError('invalid_json', `not valid JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (!isObject(v)) throw new FieldError('not_an_object', `expected a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

/** Runs a parser body; no input can make a parser throw. */
export function guard(fn: () => ParseResult): ParseResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FieldError) return err(e.reason, e.message);
    return err('invalid_value', `unparseable line: ${(e as Error)?.message?.slice(0, 120) ?? 'unknown error'}`);
  }
}

/** Gateways write "" or "-" for an unset variable. */
export function isUnset(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === '-';
}

/** A string field, null when unset; numbers and booleans are stringified; objects are a type error. */
export function optStr(o: Json, key: string): string | null {
  return strValue(o[key], key);
}

/**
 * optStr of a value the caller has read itself. A parser that reads its fields by name
 * (`o.host`) gets inline-cached property loads, every line of one log format having the same
 * shape, where `o[key]` with a varying key is a generic lookup per field per line.
 */
export function strValue(v: unknown, key: string): string | null {
  if (isUnset(v)) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new FieldError('wrong_type', `field "${key}" should be a string, got ${Array.isArray(v) ? 'array' : typeof v}`);
}

/** First present key among aliases. */
export function pickStr(o: Json, ...keys: string[]): string | null {
  // (No `k in o` first: an absent key reads as undefined, which optStr already treats as unset.)
  for (const k of keys) {
    const v = optStr(o, k);
    if (v !== null) return v;
  }
  return null;
}

/** An integer field given as number or numeric string; null when unset. */
export function optInt(o: Json, key: string): number | null {
  return intValue(o[key], key);
}

/** optInt of a value the caller has read itself (see strValue). */
export function intValue(v: unknown, key: string): number | null {
  if (isUnset(v)) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v)) return Math.trunc(Number(v));
  throw new FieldError('wrong_type', `field "${key}" should be a number, got ${JSON.stringify(v).slice(0, 40)}`);
}

export function pickInt(o: Json, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = optInt(o, k);
    if (v !== null) return v;
  }
  return null;
}

export function optObj(o: Json, key: string): Json | null {
  const v = o[key];
  if (isUnset(v)) return null;
  if (!isObject(v)) throw new FieldError('wrong_type', `field "${key}" should be an object`);
  return v;
}

export function httpStatus(n: number | null): number | null {
  // Envoy logs 0 when no response was sent (e.g. a TLS failure): no status.
  if (n === null || n === 0) return null;
  if (n < 100 || n > 999) throw new FieldError('invalid_value', `HTTP status ${n} is out of range`);
  return n;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/**
 * A timestamp as logs write it: ISO 8601, CLF `22/Nov/2026:08:06:14 +0000`, epoch seconds
 * (NGINX `$msec`, fractional) or epoch milliseconds (Kong, OCSF, API Gateway). Zone-less ISO
 * times are taken as UTC.
 */
export function parseTime(v: unknown): Date | null {
  if (isUnset(v)) return null;
  if (typeof v === 'number') return epoch(v);
  if (typeof v !== 'string') return null;
  // Log timestamps (second resolution) and certificate validity dates repeat line after line.
  const hit = timeCache.get(v);
  if (hit !== undefined) return hit === null ? null : new Date(hit);
  const d = parseTimeString(v.trim());
  if (timeCache.size >= 512) timeCache.clear();
  timeCache.set(v, d ? d.getTime() : null);
  return d;
}

const timeCache = new Map<string, number | null>();

function parseTimeString(s: string): Date | null {
  if (/^\d+(\.\d+)?$/.test(s)) return epoch(Number(s));
  const clf = /^(\d{1,2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? ([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (clf) {
    const mon = MONTHS[clf[2]!];
    if (mon === undefined) return null;
    const off = (clf[8] === '-' ? -1 : 1) * (Number(clf[9]) * 60 + Number(clf[10]));
    const ms = Date.UTC(Number(clf[3]), mon, Number(clf[1]), Number(clf[4]), Number(clf[5]), Number(clf[6]), Number((clf[7] ?? '0').slice(0, 3).padEnd(3, '0')));
    return valid(new Date(ms - off * 60_000));
  }
  // ISO-ish; "2026-11-22 08:06:14,123" (Keycloak/Java) becomes "2026-11-22T08:06:14.123".
  const iso = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
  if (iso) {
    const frac = iso[3] ? `.${iso[3].slice(0, 3).padEnd(3, '0')}` : '';
    let zone = iso[4] ?? 'Z';
    if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    return valid(new Date(`${iso[1]}T${iso[2]}${frac}${zone.toUpperCase()}`));
  }
  const ossl = /^([A-Z][a-z]{2}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(s);
  if (ossl) {
    const mon = MONTHS[ossl[1]!];
    if (mon === undefined) return null;
    return valid(new Date(Date.UTC(Number(ossl[6]), mon, Number(ossl[2]), Number(ossl[3]), Number(ossl[4]), Number(ossl[5]))));
  }
  // Other RFC 2822-ish forms.
  if (/^[A-Z][a-z]{2},? /.test(s)) return valid(new Date(s));
  return null;
}

function epoch(n: number): Date | null {
  if (!Number.isFinite(n) || n <= 0) return null;
  // Seconds until year 5138; beyond that it must be milliseconds.
  return valid(new Date(n < 1e11 ? n * 1000 : n));
}

function valid(d: Date): Date | null {
  const t = d.getTime();
  return Number.isNaN(t) || t < 0 || t > 253402300799999 ? null : d;
}

export function requireTime(v: unknown, field: string): Date {
  const d = parseTime(v);
  if (!d) {
    throw new FieldError(isUnset(v) ? 'missing_field' : 'invalid_timestamp', isUnset(v) ? `no timestamp (${field})` : `unreadable timestamp in ${field}: ${String(v).slice(0, 40)}`);
  }
  return d;
}

export function decodeJwtClaims(token: string): Record<string, unknown> | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return isObject(v) ? v : null;
  } catch {
    return null;
  }
}

export interface AuthFacts {
  authScheme: string | null;
  tokenFingerprint: string | null;
  tokenClaims: Record<string, unknown> | null;
}

/**
 * Facts from a logged Authorization header value. The credential is hashed (SHA-256
 * base64url) and, when a JWT, its claims decoded; the raw value goes nowhere.
 * Gateways that redact it (Kong's `REDACTED`) yield the scheme only when one is visible.
 */
export function authFacts(header: string | null): AuthFacts {
  if (header === null) return { authScheme: null, tokenFingerprint: null, tokenClaims: null };
  const h = header.trim();
  const sp = h.indexOf(' ');
  if (sp === -1) {
    // A bare word is a scheme as logged by `map $http_authorization $authz_scheme`, or a redaction marker.
    return { authScheme: /^redacted$/i.test(h) || !h ? null : h, tokenFingerprint: null, tokenClaims: null };
  }
  const scheme = h.slice(0, sp);
  const cred = h.slice(sp + 1).trim();
  if (!cred || /^\[?redacted\]?$/i.test(cred)) return { authScheme: scheme, tokenFingerprint: null, tokenClaims: null };
  return { authScheme: scheme, tokenFingerprint: sha256B64url(cred), tokenClaims: decodeJwtClaims(cred) };
}

/** A logged DPoP header value: a proof when it looks like a compact JWS, else only presence. */
export function dpopProofOf(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim();
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(t) ? t : null;
}

/** Truthy flags as logged: "1", "true", "yes", true, 1. */
export function flag(v: unknown): boolean {
  if (v === true || v === 1) return true;
  if (typeof v === 'string') return /^(1|true|yes|on)$/i.test(v.trim());
  return false;
}

/** Source verdict from a gateway's own client-certificate check (`FAILED:<openssl reason>`). */
export function verdictFromCertVerify(verify: string | null): NormalizedEvent['sourceVerdict'] {
  // The exact OpenSSL texts, as the binding engine reads them (lib/credentials/cert-failure.ts).
  return certFailureOfVerify(verify);
}

/**
 * Source verdict from an OAuth error code plus its human reason, as Keycloak and OCSF
 * `status_detail` state them. Unknown errors give null: the binding engine decides those.
 */
export function verdictFromOAuthError(error: string | null, reason: string | null): NormalizedEvent['sourceVerdict'] {
  const e = (error ?? '').toLowerCase();
  const r = (reason ?? '').toLowerCase();
  if (e === 'invalid_dpop_proof' || e === 'use_dpop_nonce' || (!e && r.includes('dpop'))) {
    if (e === 'use_dpop_nonce') return { verdict: 'proof_invalid', reason: 'nonce' };
    if (/missing|not present|no dpop/.test(r)) return { verdict: 'no_proof_for_bound_token', reason: null };
    return { verdict: 'proof_invalid', reason: dpopReasonFromText(r) };
  }
  if (e === 'not_allowed' && r.includes('certificate') && (r.includes('thumbprint') || r.includes('match'))) {
    return { verdict: 'binding_mismatch', reason: 'x5t_mismatch' };
  }
  if ((e === 'invalid_token' || e === 'invalid_grant') && /expired|not active/.test(r)) {
    return { verdict: 'token_expired', reason: null };
  }
  return null;
}

function dpopReasonFromText(r: string): string | null {
  if (/replay|already (been )?used|jti/.test(r)) return 'jti_replay';
  if (/thumbprint|jkt|key mismatch|bound key/.test(r)) return 'jkt_mismatch';
  if (/\bhtm\b|http method/.test(r)) return 'htm';
  if (/\bhtu\b|http ur[il]|url mismatch/.test(r)) return 'htu';
  if (/\bath\b|access token hash/.test(r)) return 'ath';
  if (/nonce/.test(r)) return 'nonce';
  if (/\biat\b|not active|issued|too old|future|expired/.test(r)) return 'iat';
  if (/signature/.test(r)) return 'signature';
  if (/private key/.test(r)) return 'private_key_in_jwk';
  if (/\balg|algorithm/.test(r)) return 'alg';
  if (/\btyp\b|type/.test(r)) return 'typ';
  if (/malformed|invalid|parse/.test(r)) return 'malformed';
  return null;
}

/** The event skeleton every gateway parser fills. */
export function newEvent(format: string, occurredAt: Date, raw: string, parsed?: Json): NormalizedEvent {
  return {
    format,
    occurredAt,
    requestId: null,
    gateway: null,
    method: null,
    url: null,
    clientIp: null,
    httpStatus: null,
    authScheme: null,
    hasDpop: false,
    dpopProof: null,
    tokenFingerprint: null,
    tokenClaims: null,
    identityHint: null,
    cert: null,
    failureDetail: null,
    sourceVerdict: null,
    redactedRaw: parsed ? redactJsonLine(raw, parsed) : redact(raw),
  };
}

/** Preferred identity hint: token client_id, then sub, then the one the source names, then certificate. */
export function identityFrom(claims: Record<string, unknown> | null, ...hints: (string | null)[]): string | null {
  for (const k of ['client_id', 'azp', 'sub']) {
    const v = claims?.[k];
    if (typeof v === 'string' && v) return v;
  }
  for (const h of hints) if (h) return h;
  return null;
}

export function isEmptyLine(text: string): boolean {
  return text.trim() === '';
}
