// OCSF events, one JSON object per line: Authentication (class_uid 3002) and API Activity
// (class_uid 6003). A certificate fingerprint with algorithm_id 3 (SHA-256) becomes x5t#S256
// (hex or base64url value), algorithm_id 2 the SHA-1; `unmapped.jkt` / `unmapped.cnf_jkt`
// carries the DPoP key thumbprint, which OCSF has no field for.
import { buildCert } from '../cert.ts';
import { hexToB64url } from '../../credentials/fingerprint.ts';
import { SKIP, err, type LineParser } from '../types.ts';
import { authFacts, dpopProofOf, identityFrom } from '../auth-facts.ts';
import { newEvent, verdictFromOAuthError } from '../event.ts';
import { FieldError, guard, httpStatus, isEmptyLine, isObject, jsonObject, optInt, optObj, pickStr, type Json } from '../fields.ts';
import { requireTime } from '../time.ts';

function fingerprints(cert: Json | null): { x5t: string | null; sha1: string | null } {
  let x5t: string | null = null;
  let sha1: string | null = null;
  const list = cert?.fingerprints;
  if (list === undefined || list === null) return { x5t, sha1 };
  if (!Array.isArray(list)) throw new FieldError('wrong_type', 'certificate.fingerprints should be an array');
  for (const f of list) {
    if (!isObject(f) || typeof f.value !== 'string') continue;
    const v = f.value.trim();
    if (f.algorithm_id === 3) x5t = hexToB64url(v, 32) ?? (/^[A-Za-z0-9_-]{43}$/.test(v) ? v : null);
    else if (f.algorithm_id === 2) sha1 = /^[0-9a-fA-F:]{40,59}$/.test(v) ? v.replace(/:/g, '').toLowerCase() : null;
  }
  return { x5t, sha1 };
}

function headerValue(req: Json | null, name: string): string | null {
  const hs = req?.http_headers;
  if (!Array.isArray(hs)) return null;
  for (const h of hs) {
    if (isObject(h) && typeof h.name === 'string' && h.name.toLowerCase() === name && typeof h.value === 'string') return h.value;
  }
  return null;
}

export const ocsfParser: LineParser = {
  format: 'ocsf',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const o = jsonObject(text);
      const cls = optInt(o, 'class_uid');
      if (cls === null) throw new FieldError('missing_field', 'no class_uid');
      if (cls !== 3002 && cls !== 6003) return err('unsupported_class', `OCSF class_uid ${cls} is not Authentication (3002) or API Activity (6003)`);
      const ev = newEvent('ocsf', requireTime(o.time ?? o.time_dt, 'time', ctx.timeZone), text, o);
      const meta = optObj(o, 'metadata');
      const req = optObj(o, 'http_request');
      const res = optObj(o, 'http_response');
      const api = optObj(o, 'api');
      const apiReq = api ? optObj(api, 'request') : null;
      ev.requestId = (req ? pickStr(req, 'uid') : null) ?? (apiReq ? pickStr(apiReq, 'uid') : null) ?? (meta ? pickStr(meta, 'uid') : null);
      ev.method = (req ? pickStr(req, 'http_method') : null) ?? (api ? pickStr(api, 'operation') : null);
      const url = req ? req.url : undefined;
      ev.url = isObject(url) ? pickStr(url, 'url_string', 'path') : typeof url === 'string' ? url : null;
      const src = optObj(o, 'src_endpoint');
      ev.clientIp = src ? pickStr(src, 'ip') : null;
      const dst = optObj(o, 'dst_endpoint');
      ev.gateway = ctx.gateway ?? (dst ? pickStr(dst, 'hostname', 'name', 'svc_name') : null);
      ev.httpStatus = httpStatus(res ? optInt(res, 'code') : null);
      const auth = authFacts(headerValue(req, 'authorization'));
      ev.authScheme = auth.authScheme;
      ev.tokenFingerprint = auth.tokenFingerprint;
      ev.tokenClaims = auth.tokenClaims;
      const dpop = headerValue(req, 'dpop');
      ev.dpopProof = dpopProofOf(dpop);
      ev.hasDpop = dpop !== null;
      const certObj = optObj(o, 'certificate');
      const { x5t, sha1 } = fingerprints(certObj);
      const { cert } = buildCert(ctx.state, {
        x5tS256: x5t,
        sha1Hex: sha1,
        subjectDn: certObj ? pickStr(certObj, 'subject') : null,
        issuerDn: certObj ? pickStr(certObj, 'issuer') : null,
        serial: certObj ? pickStr(certObj, 'serial_number') : null,
        notBefore: certObj?.created_time,
        notAfter: certObj?.expiration_time,
      });
      ev.cert = cert;
      const unmapped = optObj(o, 'unmapped');
      const jkt = unmapped ? pickStr(unmapped, 'jkt', 'cnf_jkt', 'cnf.jkt', 'dpop_jkt') : null;
      if (jkt) ev.jkt = jkt;
      const statusId = optInt(o, 'status_id');
      const detail = pickStr(o, 'status_detail', 'status_code');
      if (statusId === 2 || (ev.httpStatus !== null && ev.httpStatus >= 400)) {
        ev.failureDetail = detail ?? pickStr(o, 'message');
        ev.sourceVerdict = verdictFromOAuthError(pickStr(o, 'status_code'), detail);
      }
      const user = optObj(o, 'user') ?? (optObj(o, 'actor') ? optObj(optObj(o, 'actor') as Json, 'user') : null);
      const svc = unmapped ? pickStr(unmapped, 'client_id', 'spiffe_id') : null;
      ev.identityHint = identityFrom(ev.tokenClaims, svc, user ? pickStr(user, 'name', 'uid') : null, cert?.subjectDn ?? null);
      return { kind: 'event', event: ev };
    });
  },
};
