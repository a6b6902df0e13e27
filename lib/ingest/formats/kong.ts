// Kong file-log / http-log / tcp-log serializer output, one JSON object per line.
import { buildCert } from '../cert.ts';
import { SKIP, type LineParser } from '../types.ts';
import { authFacts, dpopProofOf, identityFrom } from '../auth-facts.ts';
import { newEvent, verdictFromCertVerify } from '../event.ts';
import { guard, httpStatus, isEmptyLine, jsonObject, optObj, pickInt, pickStr, FieldError, type Json } from '../fields.ts';
import { requireTime } from '../time.ts';

/** Header values may be a string or, for repeated headers, an array of strings. */
function header(headers: Json | null, name: string): string | null {
  if (!headers) return null;
  const v = headers[name] ?? headers[name.toLowerCase()];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  throw new FieldError('wrong_type', `header "${name}" should be a string`);
}

export const kongParser: LineParser = {
  format: 'kong',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const o = jsonObject(text);
      const req = optObj(o, 'request');
      const res = optObj(o, 'response');
      if (!req) throw new FieldError('missing_field', 'no "request" object');
      const ev = newEvent('kong', requireTime(o.started_at, 'started_at', ctx.timeZone), text, o);
      const headers = optObj(req, 'headers');
      ev.requestId = pickStr(req, 'id') ?? header(headers, 'x-request-id') ?? header(headers, 'x-kong-request-id');
      ev.method = pickStr(req, 'method');
      ev.url = pickStr(req, 'url', 'uri');
      ev.clientIp = pickStr(o, 'client_ip');
      ev.httpStatus = httpStatus(res ? pickInt(res, 'status') : null);
      const service = optObj(o, 'service');
      ev.gateway = ctx.gateway ?? (service ? pickStr(service, 'name', 'host') : null);
      const auth = authFacts(header(headers, 'authorization'));
      ev.authScheme = auth.authScheme;
      ev.tokenClaims = auth.tokenClaims;
      ev.tokenFingerprint = auth.tokenFingerprint;
      const dpop = header(headers, 'dpop');
      ev.dpopProof = dpopProofOf(dpop);
      ev.hasDpop = dpop !== null;
      const tls = optObj(req, 'tls');
      const verify = tls ? pickStr(tls, 'client_verify') : null;
      ev.cert = buildCert(ctx.state, { verify }).cert;
      ev.sourceVerdict = verdictFromCertVerify(verify);
      ev.failureDetail = ev.sourceVerdict ? verify : null;
      const consumer = optObj(o, 'consumer');
      const entity = optObj(o, 'authenticated_entity');
      ev.identityHint = identityFrom(
        ev.tokenClaims,
        consumer ? pickStr(consumer, 'username', 'custom_id', 'id') : null,
        entity ? pickStr(entity, 'consumer_id', 'id') : null,
      );
      return { kind: 'event', event: ev };
    });
  },
};
