// The event skeleton every gateway parser fills, and source verdicts read from what a gateway
// or identity provider logged itself (its certificate check, its OAuth error).
import { certFailureOfVerify } from '../credentials/cert-failure.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { jsonObject, type Json } from './fields.ts';
import type { ParseContext } from './types.ts';
import { redact, redactJsonLine } from './redact.ts';

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

/**
 * The event skeleton every gateway parser fills. Its `redactedRaw` is worked out when first read:
 * only requests kept in full (every one that is not plain ok) store their line, and redacting a
 * line costs about a fifth of parsing it. `raw` is the line as text or as its UTF-8 bytes, `parsed`
 * the line's JSON (or how to parse it again from the line), read only then; neither may change after
 * this call. The unredacted line stays inside this closure and is let go once redacted.
 */
export function newEvent(format: string, occurredAt: Date, raw: string | Uint8Array, parsed?: Json | ((line: string) => Json)): NormalizedEvent {
  let redacted: string | null = null;
  let line: string | Uint8Array | null = raw;
  let json = parsed;
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
    get redactedRaw(): string {
      if (redacted === null) {
        const text = typeof line === 'string' ? line : Buffer.from(line!.buffer, line!.byteOffset, line!.byteLength).toString('utf8');
        redacted = json ? redactJsonLine(text, typeof json === 'function' ? json(text) : json) : redact(text);
        [line, json] = [null, undefined];
      }
      return redacted;
    },
    set redactedRaw(v: string) {
      redacted = v;
      [line, json] = [null, undefined];
    },
  };
}

/**
 * An event of a line that is one JSON object (`text`, parsed by jsonObject). It keeps the line's
 * bytes (a view of the input chunk) when the parse stream has them, and parses the line again only
 * if it is ever redacted (a few per cent of requests): holding each line's text and parsed object
 * until its chunk was written made the garbage collector copy ~3 KB per request twice (GC pauses
 * of a realistic NGINX ingest halved without it, measured).
 */
export function newJsonLineEvent(format: string, occurredAt: Date, text: string, ctx: ParseContext): NormalizedEvent {
  return newEvent(format, occurredAt, ctx.lineBytes ?? text, jsonObject);
}
