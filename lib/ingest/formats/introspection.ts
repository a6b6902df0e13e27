// RFC 7662 token introspection responses, one JSON object per line. Extra members accepted:
// `token` (the raw token: fingerprinted, then dropped), `token_fingerprint` (already
// SHA-256 base64url), `token_type_hint` / `token_use` ("refresh_token" → refresh),
// `nhi` / `identity` (identity name override).
import type { TokenRecord } from '../../domain/types.ts';
import { fingerprintFromJti, sha256B64url } from '../../credentials/fingerprint.ts';
import { bindingOf } from '../token-record.ts';
import { SKIP, type LineParser } from '../types.ts';
import { FieldError, guard, isEmptyLine, jsonObject, optObj, pickStr, type Json } from '../fields.ts';

function numericDate(o: Json, key: string): Date | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new FieldError('wrong_type', `"${key}" should be a NumericDate (seconds), got ${JSON.stringify(v).slice(0, 30)}`);
  const d = new Date(v * 1000);
  if (Number.isNaN(d.getTime())) throw new FieldError('invalid_value', `"${key}" is out of range`);
  return d;
}

function stringList(v: unknown, key: string, sep: RegExp): string[] {
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') return v.split(sep).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  throw new FieldError('wrong_type', `"${key}" should be a string or an array of strings`);
}

export const introspectionParser: LineParser = {
  format: 'introspection',
  parseLine(text) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const o = jsonObject(text);
      if ('active' in o && typeof o.active !== 'boolean') throw new FieldError('wrong_type', '"active" should be a boolean');
      const issuer = pickStr(o, 'iss');
      const jti = pickStr(o, 'jti');
      const raw = pickStr(o, 'token');
      const given = pickStr(o, 'token_fingerprint');
      const fingerprint = raw !== null ? sha256B64url(raw) : given ?? (jti !== null ? fingerprintFromJti(issuer, jti) : null);
      if (!fingerprint) throw new FieldError('missing_field', 'no token, token_fingerprint or jti to identify the token');
      const clientId = pickStr(o, 'client_id');
      const subject = pickStr(o, 'sub');
      const identityName = pickStr(o, 'nhi', 'identity') ?? clientId ?? subject ?? pickStr(o, 'username');
      if (!identityName) throw new FieldError('missing_field', 'no client_id, sub or username to name the identity');
      const cnf = optObj(o, 'cnf');
      const jkt = cnf ? pickStr(cnf, 'jkt') : null;
      const x5t = cnf ? pickStr(cnf, 'x5t#S256') : null;
      const tokenType = pickStr(o, 'token_type');
      const b = bindingOf(jkt, x5t, null);
      // token_type "DPoP" without cnf.jkt: the AS says bound but gives no key to check against.
      const anomaly = b.bindingAnomaly || (tokenType !== null && /^dpop$/i.test(tokenType) && !jkt);
      const hint = pickStr(o, 'token_type_hint', 'token_use');
      const rec: TokenRecord = {
        fingerprint,
        identityName,
        tokenType: hint && /refresh/i.test(hint) ? 'refresh' : 'access',
        jti,
        issuer,
        subject,
        clientId,
        audience: stringList(o.aud, 'aud', /\s+/),
        scopes: stringList(o.scope ?? o.scp, 'scope', /\s+/),
        issuedAt: numericDate(o, 'iat'),
        expiresAt: numericDate(o, 'exp'),
        binding: b.binding,
        cnfX5tS256: x5t,
        cnfJkt: jkt,
        bindingAnomaly: anomaly,
        active: typeof o.active === 'boolean' ? o.active : null,
      };
      return { kind: 'token', token: rec };
    });
  },
};
