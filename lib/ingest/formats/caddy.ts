// Caddy 2 JSON access log (`log { format json }`), one object per line, logger `http.log.access…`.
// Checked against the real caddy 2.6.2 (caddy-real.test.ts):
//   {"level":"info","ts":1796379208.456,"logger":"http.log.access.log0","msg":"handled request",
//    "request":{"remote_ip":"127.0.0.1","remote_port":"40964","proto":"HTTP/2.0","method":"GET",
//    "host":"api.test:18443","uri":"/x?y=1","headers":{"Authorization":[],"X-Request-Id":["rid-1"],…},
//    "tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"api.test",
//    "client_common_name":"svc-a","client_serial":"4097"}},
//    "user_id":"","duration":0.000437,"size":645,"status":200,"resp_headers":{…}}
// What Caddy gives and does not:
// - Headers are logged as the client sent them (arrays, canonical names). Authorization is
//   logged as an empty array by default (older and newer versions: "REDACTED"); with the server
//   option `log_credentials` it is logged raw — then it is hashed here and dropped like NGINX's.
// - The client certificate is logged as its CN and DECIMAL serial only: no fingerprint, no full
//   subject, no issuer. The serial becomes hex here, as every other source logs it; the subject
//   is `CN=<cn>`. Caddy verifies client certificates (verify_if_given / require_and_verify) but
//   checks no CRL: a revoked certificate is accepted and logged like a good one.
// - Handshake failures (expired, untrusted certificates) leave no access log line.
// - The documented snippet adds the certificate's SHA-256 (`{http.request.tls.client.fingerprint}`,
//   hex) as a response header X-Client-Cert-Sha256 and the request id as X-Request-ID, which the
//   log carries in resp_headers: read here as x5t#S256 and as the correlation id.
import type { NormalizedEvent } from '../../domain/types.ts';
import { parseForwardedCert, FORWARDED_CERT_HEADERS } from '../forwarded-cert.ts';
import { FORWARDED_ORIGIN_LABEL, requestUrl } from '../forwarded-origin.ts';
import { hexToB64url } from '../../credentials/fingerprint.ts';
import { SERVICE_LINE, SKIP, type LineParser, type ParseContext, type ParseResult } from '../types.ts';
import { authFacts, dpopProofOf, identityFrom } from '../auth-facts.ts';
import { newJsonLineEvent } from '../event.ts';
import { FieldError, guard, httpStatus, isEmptyLine, jsonObject, optObj, pickInt, pickStr, type Json } from '../fields.ts';
import { requireTime } from '../time.ts';

/** Lower-cased header map; Caddy logs each header as an array of values (canonical names). */
function headerMap(h: Json | null): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (h) for (const [k, v] of Object.entries(h)) m.set(k.toLowerCase(), v);
  return m;
}

interface HeaderValue {
  /** The header was in the log at all (even as an empty, redacted array). */
  present: boolean;
  value: string | null;
}

function header(h: Map<string, unknown>, name: string): HeaderValue {
  const v = h.get(name);
  if (v === undefined || v === null) return { present: false, value: null };
  if (typeof v === 'string') return { present: true, value: v || null };
  if (Array.isArray(v)) {
    const first: unknown = v[0];
    if (first === undefined) return { present: true, value: null };
    if (typeof first === 'string') return { present: true, value: first || null };
  }
  throw new FieldError('wrong_type', `header "${name}" should be an array of strings`);
}

/** Caddy logs the serial in decimal; other sources (and certificates read here) use hex. */
export function decimalSerialToHex(serial: string): string | null {
  const s = serial.trim();
  if (!/^\d{1,80}$/.test(s)) return null;
  return BigInt(s).toString(16).toUpperCase();
}

function tlsCert(tls: Json | null, resp: Map<string, unknown>): NormalizedEvent['cert'] {
  if (!tls) return null;
  const cn = pickStr(tls, 'client_common_name');
  const serialRaw = pickStr(tls, 'client_serial');
  const sha256Hex = header(resp, 'x-client-cert-sha256').value;
  const x5tS256 = sha256Hex ? hexToB64url(sha256Hex, 32) : null;
  if (!cn && !serialRaw && !x5tS256) {
    // TLS ended here and no client certificate came with it.
    return { x5tS256: null, sha1Hex: null, subjectDn: null, issuerDn: null, serial: null, notBefore: null, notAfter: null, verify: 'NONE' };
  }
  return {
    x5tS256,
    sha1Hex: null,
    subjectDn: cn ? `CN=${cn}` : null,
    issuerDn: null,
    serial: serialRaw ? (decimalSerialToHex(serialRaw) ?? serialRaw) : null,
    notBefore: null,
    notAfter: null,
    // Caddy logs no verification outcome: a line with a certificate means the handshake passed
    // its client_auth mode, which may not verify at all (`request`, `require`).
    verify: null,
  };
}

/**
 * Certificate headers in the request. Behind a proxy (no TLS on this leg) they are what the proxy
 * forwarded: `forwardedCert`, null when none came. Where TLS ended here they came from the client
 * itself — an attempt to claim a certificate — so they are named in the labels, never taken as
 * this hop's forwarded certificate.
 */
function certHeaders(h: Map<string, unknown>, overTls: boolean, state: Record<string, unknown>, labels: Record<string, string>): NormalizedEvent['forwardedCert'] {
  let found: NonNullable<NormalizedEvent['forwardedCert']> | null = null;
  for (const name of FORWARDED_CERT_HEADERS) {
    const { value } = header(h, name);
    if (value === null) continue;
    const r = parseForwardedCert(name, value, state);
    if (r?.kind === 'error') labels[`forwarded_cert_error.${name}`] = `${r.code}: ${r.message}`;
    else if (r?.kind === 'cert') {
      if (overTls) labels[`client_sent_cert_header.${name}`] = r.cert.x5tS256 ?? r.cert.subjectDn ?? 'unnamed';
      else found ??= r.cert;
    }
  }
  return overTls ? undefined : found;
}

function caddyEvent(o: Json, text: string, ctx: ParseContext): ParseResult {
  const req = optObj(o, 'request');
  if (!req) throw new FieldError('missing_field', 'no "request" object');
  const ev = newJsonLineEvent('caddy', requireTime(o.ts, 'ts', ctx.timeZone), text, ctx);
  const h = headerMap(optObj(req, 'headers'));
  const resp = headerMap(optObj(o, 'resp_headers'));
  const tls = optObj(req, 'tls');
  ev.method = pickStr(req, 'method');
  const host = pickStr(req, 'host');
  ev.host = host;
  ev.gateway = ctx.gateway ?? host?.replace(/:\d+$/, '') ?? null;
  // client_ip (Caddy 2.7+) honours trusted_proxies; remote_ip is the TCP peer.
  ev.clientIp = pickStr(req, 'client_ip', 'remote_ip');
  if ('remote_ip' in req) ev.peerIp = pickStr(req, 'remote_ip');
  // Behind a TLS-terminating proxy (no TLS here) the client called the proxy's scheme and host, as
  // the proxy forwarded them (Caddy's reverse_proxy sets X-Forwarded-Proto/-Host): the URL a DPoP
  // proof's htu names. Only when the line carries them; else this hop's own scheme and Host.
  const labels: Record<string, string> = {};
  const { url, ignored, client } = requestUrl({
    scheme: tls ? 'https' : 'http', host, path: pickStr(req, 'uri'), peerIp: ev.peerIp, trustedProxies: ctx.trustedProxies(),
    headers: {
      forwarded: header(h, 'forwarded').value, xForwardedProto: header(h, 'x-forwarded-proto').value, xForwardedHost: header(h, 'x-forwarded-host').value,
      xForwardedPort: header(h, 'x-forwarded-port').value, xForwardedFor: header(h, 'x-forwarded-for').value,
    },
  });
  ev.url = url;
  // The source's trusted proxies decide, not Caddy's own trusted_proxies (which client_ip followed).
  if (client) ev.clientIp = client;
  if (ignored) labels[FORWARDED_ORIGIN_LABEL] = ignored;
  ev.httpStatus = httpStatus(pickInt(o, 'status'));
  // The edge's own id, echoed in the response, is what it forwarded; else the one the request carried.
  ev.correlationId = header(resp, 'x-request-id').value ?? header(h, 'x-request-id').value;

  const authorization = header(h, 'authorization');
  if (authorization.present && authorization.value === null) labels.authorization = 'redacted by caddy';
  const auth = authFacts(authorization.value);
  ev.authScheme = auth.authScheme;
  ev.tokenClaims = auth.tokenClaims;
  ev.tokenFingerprint = auth.tokenFingerprint;
  const dpop = header(h, 'dpop');
  ev.dpopProof = dpopProofOf(dpop.value);
  ev.hasDpop = dpop.present;
  // Caddy logs each header as an array of its values: two DPoP headers fail RFC 9449 §4.3 check 1.
  const dpopValues = h.get('dpop');
  if (Array.isArray(dpopValues) && dpopValues.length > 1) ev.dpopHeaderCount = dpopValues.length;

  ev.cert = tlsCert(tls, resp);
  // TLS ended here: a certificate logged by CN and serial without the echoed SHA-256 was not
  // stripped by anyone; its thumbprint is only not logged (certificate_not_logged, not binding_context_stripped).
  if (ev.cert && !ev.cert.x5tS256 && (ev.cert.subjectDn || ev.cert.serial)) ev.notLogged = { certificate: false, dpop: false, thumbprint: true };
  const forwarded = certHeaders(h, tls !== null, ctx.state, labels);
  if (forwarded !== undefined) ev.forwardedCert = forwarded;
  if (Object.keys(labels).length > 0) ev.labels = labels;
  const cn = ev.cert?.subjectDn?.replace(/^CN=/, '') ?? null;
  ev.identityHint = identityFrom(ev.tokenClaims, cn, forwarded?.subjectDn ?? null);
  return { kind: 'event', event: ev };
}

/** Any Caddy process log line (`ts`, `level`, `msg`): access lines are events, the rest is skipped. */
function isCaddyLine(o: Json): boolean {
  return typeof o.ts === 'number' && typeof o.level === 'string' && typeof o.msg === 'string';
}

export const caddyParser: LineParser = {
  format: 'caddy',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const o = jsonObject(text);
      const logger = typeof o.logger === 'string' ? o.logger : '';
      if (logger.startsWith('http.log.access')) return caddyEvent(o, text, ctx);
      // Server start/stop, TLS maintenance, and http.log.error lines (the access line covers the request).
      if (isCaddyLine(o)) return SERVICE_LINE;
      throw new FieldError('unrecognized_line', 'not a Caddy log line (no logger "http.log.access…", ts, level and msg)');
    });
  },
};
