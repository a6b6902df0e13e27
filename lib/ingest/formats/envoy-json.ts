// Envoy access log with `json_format`. Keys are the user's choice; accepted (any case) are
// the Istio defaults plus the peer-certificate operators named after themselves:
// downstream_peer_fingerprint_256, downstream_peer_uri_san, downstream_peer_subject,
// downstream_peer_issuer, downstream_peer_serial, downstream_peer_cert, downstream_peer_cert_v_start,
// downstream_peer_cert_v_end, response_code_details, downstream_transport_failure_reason,
// authorization (%REQ(AUTHORIZATION)%) and dpop (%REQ(DPOP)%). "-" means unset.
import { buildCert } from '../cert.ts';
import { hexToB64url } from '../../credentials/fingerprint.ts';
import { SKIP, type LineParser } from '../types.ts';
import type { NormalizedEvent } from '../../domain/types.ts';
import { authFacts, dpopProofOf, identityFrom } from '../auth-facts.ts';
import { newEvent, verdictFromCertVerify } from '../event.ts';
import { guard, httpStatus, isEmptyLine, jsonObject, pickInt, pickStr, type Json } from '../fields.ts';
import { requireTime } from '../time.ts';

export const ENVOY_JSON_FORMAT = {
  start_time: '%START_TIME%',
  request_id: '%REQ(X-REQUEST-ID)%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  authority: '%REQ(:AUTHORITY)%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
  downstream_peer_fingerprint_256: '%DOWNSTREAM_PEER_FINGERPRINT_256%',
  downstream_peer_uri_san: '%DOWNSTREAM_PEER_URI_SAN%',
  downstream_peer_subject: '%DOWNSTREAM_PEER_SUBJECT%',
  downstream_peer_issuer: '%DOWNSTREAM_PEER_ISSUER%',
  downstream_peer_serial: '%DOWNSTREAM_PEER_SERIAL%',
  downstream_peer_cert_v_start: '%DOWNSTREAM_PEER_CERT_V_START%',
  downstream_peer_cert_v_end: '%DOWNSTREAM_PEER_CERT_V_END%',
  auth_scheme: '%REQ(AUTHORIZATION):6%',
  dpop: '%REQ(DPOP)%',
} as const;

function lowerKeys(o: Json): Json {
  const r: Json = {};
  for (const [k, v] of Object.entries(o)) r[k.toLowerCase().replace(/^%|%$/g, '')] = v;
  return r;
}

/** `jwt_authn_access_denied{Jwt_is_expired}` and TLS failure reasons → the source's own verdict. */
export function envoyVerdict(details: string | null, tlsFailure: string | null): NormalizedEvent['sourceVerdict'] {
  if (details) {
    const jwt = /^jwt_authn_access_denied\{([^}]*)\}/.exec(details);
    if (jwt && /expired/i.test(jwt[1] ?? '')) return { verdict: 'token_expired', reason: jwt[1] ?? null };
  }
  if (tlsFailure) {
    const t = tlsFailure.toLowerCase().replace(/_/g, ' ');
    if (t.includes('revoked')) return { verdict: 'cert_revoked', reason: tlsFailure };
    if (t.includes('expired')) return { verdict: 'cert_expired', reason: tlsFailure };
    if (/unknown ca|certificate verify failed|unable to get|self.signed|bad certificate/.test(t)) {
      return verdictFromCertVerify(`FAILED:${tlsFailure}`) ?? { verdict: 'cert_untrusted', reason: tlsFailure };
    }
  }
  return null;
}

export const envoyJsonParser: LineParser = {
  format: 'envoy-json',
  parseLine(text, ctx) {
    if (isEmptyLine(text)) return SKIP;
    return guard(() => {
      const parsed = jsonObject(text);
      const o = lowerKeys(parsed);
      const ev = newEvent('envoy-json', requireTime(o.start_time ?? o.timestamp ?? o.time ?? o['@timestamp'], 'start_time', ctx.timeZone), text, parsed);
      ev.requestId = pickStr(o, 'request_id', 'x_request_id');
      ev.method = pickStr(o, 'method', 'request_method');
      const path = pickStr(o, 'path', 'original_path', 'uri');
      const authority = pickStr(o, 'authority', 'host');
      ev.url = path;
      ev.gateway = ctx.gateway ?? authority;
      ev.clientIp = pickStr(o, 'downstream_remote_address', 'x_forwarded_for', 'client_ip')?.replace(/:\d+$/, '') ?? null;
      ev.httpStatus = httpStatus(pickInt(o, 'response_code', 'status'));
      const auth = authFacts(pickStr(o, 'authorization') ?? pickStr(o, 'auth_scheme', 'authz_scheme'));
      ev.authScheme = auth.authScheme;
      ev.tokenClaims = auth.tokenClaims;
      ev.tokenFingerprint = auth.tokenFingerprint ?? pickStr(o, 'token_fingerprint');
      const dpop = pickStr(o, 'dpop');
      ev.dpopProof = dpopProofOf(dpop);
      ev.hasDpop = dpop !== null;
      const fp = pickStr(o, 'downstream_peer_fingerprint_256');
      const uriSan = pickStr(o, 'downstream_peer_uri_san');
      const tlsFailure = pickStr(o, 'downstream_transport_failure_reason');
      const { cert, facts } = buildCert(ctx.state, {
        x5tS256: fp ? hexToB64url(fp, 32) : null,
        sha1Hex: pickStr(o, 'downstream_peer_fingerprint_1'),
        subjectDn: pickStr(o, 'downstream_peer_subject'),
        issuerDn: pickStr(o, 'downstream_peer_issuer'),
        serial: pickStr(o, 'downstream_peer_serial'),
        notBefore: pickStr(o, 'downstream_peer_cert_v_start'),
        notAfter: pickStr(o, 'downstream_peer_cert_v_end'),
        pem: pickStr(o, 'downstream_peer_cert'),
      });
      ev.cert = cert;
      const details = pickStr(o, 'response_code_details');
      const flags = pickStr(o, 'response_flags');
      ev.failureDetail = [details && details !== 'via_upstream' ? details : null, tlsFailure, flags].filter(Boolean).join(' ') || null;
      ev.sourceVerdict = envoyVerdict(details, tlsFailure);
      ev.identityHint = identityFrom(ev.tokenClaims, uriSan ?? facts?.uriSan ?? null, cert?.subjectDn ?? null);
      return { kind: 'event', event: ev };
    });
  },
};
