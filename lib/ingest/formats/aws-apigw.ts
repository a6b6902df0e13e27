// Amazon API Gateway access log in JSON. Keys are the user's choice: a key matches when its
// name, or its last dotted segment, equals one of the aliases below ignoring case and
// punctuation, so `clientCertPem`, `identity.clientCert.clientCertPem` and
// `$context.identity.clientCert.clientCertPem` all work; nested objects are flattened.
import { buildCert } from '../cert.ts';
import { SKIP, type LineParser } from '../types.ts';
import { identityFrom } from '../auth-facts.ts';
import { newEvent } from '../event.ts';
import { FieldError, guard, httpStatus, isEmptyLine, isObject, jsonObject, type Json } from '../fields.ts';
import { parseTime } from '../time.ts';

export const AWS_APIGW_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTimeEpoch: '$context.requestTimeEpoch',
  httpMethod: '$context.httpMethod',
  domainName: '$context.domainName',
  path: '$context.path',
  status: '$context.status',
  error: '$context.error.message',
  clientCertPem: '$context.identity.clientCert.clientCertPem',
  subjectDN: '$context.identity.clientCert.subjectDN',
  issuerDN: '$context.identity.clientCert.issuerDN',
  serialNumber: '$context.identity.clientCert.serialNumber',
  notBefore: '$context.identity.clientCert.validity.notBefore',
  notAfter: '$context.identity.clientCert.validity.notAfter',
  principalId: '$context.authorizer.principalId',
});

function norm(k: string): string {
  return k.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Flattened view: normalised full path and normalised last segment both map to the value. */
function flatten(o: Json, prefix: string, out: Map<string, unknown>, depth = 0): void {
  for (const [k, v] of Object.entries(o)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (isObject(v) && depth < 6) flatten(v, path, out, depth + 1);
    else {
      out.set(norm(path), v);
      const last = norm(k.slice(k.lastIndexOf('.') + 1));
      if (!out.has(last)) out.set(last, v);
    }
  }
}

export const awsApigwParser: LineParser = {
  format: 'aws-apigw',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const flat = new Map<string, unknown>();
      const parsed = jsonObject(text);
      flatten(parsed, '', flat);
      const get = (...names: string[]): string | null => {
        for (const n of names) {
          const v = flat.get(norm(n));
          if (v === undefined || v === null || v === '' || v === '-') continue;
          if (typeof v === 'string') return v;
          if (typeof v === 'number' || typeof v === 'boolean') return String(v);
          throw new FieldError('wrong_type', `field "${n}" should be a string`);
        }
        return null;
      };
      const when = parseTime(get('requestTimeEpoch')) ?? parseTime(get('requestTime', 'timestamp'), ctx.timeZone);
      if (!when) {
        const raw = get('requestTimeEpoch', 'requestTime', 'timestamp');
        throw new FieldError(raw ? 'invalid_timestamp' : 'missing_field', raw ? `unreadable requestTime: ${raw.slice(0, 40)}` : 'no requestTime / requestTimeEpoch');
      }
      const ev = newEvent('aws-apigw', when, text, parsed);
      ev.requestId = get('requestId', 'extendedRequestId');
      ev.method = get('httpMethod', 'method');
      ev.url = get('path', 'resourcePath', 'routeKey');
      ev.gateway = ctx.gateway ?? get('domainName', 'apiId');
      ev.clientIp = get('sourceIp', 'ip');
      const st = get('status', 'statusCode');
      if (st !== null && !/^\d{3}$/.test(st)) throw new FieldError('wrong_type', `status should be an HTTP status, got ${st.slice(0, 20)}`);
      ev.httpStatus = httpStatus(st === null ? null : Number(st));
      const { cert, facts } = buildCert(ctx.state, {
        pem: get('clientCertPem'),
        subjectDn: get('subjectDN'),
        issuerDn: get('issuerDN'),
        serial: get('serialNumber'),
        notBefore: get('notBefore', 'validityNotBefore'),
        notAfter: get('notAfter', 'validityNotAfter'),
      });
      ev.cert = cert;
      ev.failureDetail = get('errorMessage', 'error', 'authorizerError', 'integrationErrorMessage');
      ev.identityHint = identityFrom(null, get('principalId', 'clientId', 'client_id', 'sub'), facts?.uriSan ?? null, cert?.subjectDn ?? null);
      return { kind: 'event', event: ev };
    });
  },
};
