// No raw token, DPoP proof or private key may appear in any parser output, except
// NormalizedEvent.dpopProof (which the pipeline verifies and drops).
import { describe, expect, it } from 'vitest';
import * as S from './testing/samples.ts';
import { PARSERS } from './registry.ts';
import { createParseContext, FORMAT_NAMES, isConfiguredFormat, type FormatName, type ParseResult } from './types.ts';

const PEM_JSON = S.PRIVATE_KEY_PEM.replace(/\n/g, '\\n');
const KEY_BODY = 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZmFrZWZha2VmYWtlZmFrZQ';
const SECRETS = [S.SECRET_JWT, S.SECRET_PROOF, S.SECRET_OPAQUE, S.SECRET_GH, KEY_BODY, S.SECRET_JWT.split('.')[2]!, S.SECRET_PROOF.split('.')[2]!];

/**
 * Lines per format that carry secrets in every place each format could log one. The formats read
 * from a gateway's own configuration (nginx, apache, haproxy) have no fixed line: their compiled
 * parsers get the same treatment in custom/hostile.test.ts.
 */
const LEAKY: Partial<Record<FormatName, string[]>> = {
  'nginx-json': [
    S.NGINX_JSON_FULL,
    JSON.stringify({ time: '2026-11-22T08:00:00Z', status: 200, uri: `/x?token=${S.SECRET_OPAQUE}`, http_authorization: `Bearer ${S.SECRET_OPAQUE}`, http_cookie: `s=${S.SECRET_OPAQUE}`, debug: S.PRIVATE_KEY_PEM, request: `GET /cb?access_token=${S.SECRET_JWT} HTTP/1.1` }),
  ],
  'nginx-combined': [
    S.NGINX_COMBINED_FULL,
    `1.2.3.4 - - [22/Nov/2026:08:00:00 +0000] "GET /x?access_token=${S.SECRET_JWT} HTTP/1.1" 200 1 "https://r/?token=${S.SECRET_OPAQUE}" "Authorization: Bearer ${S.SECRET_OPAQUE}" "SUCCESS" "-" "-" "-" "-" "DPoP" "1" "-"`,
  ],
  'envoy-json': [S.ENVOY_LINE, JSON.stringify({ start_time: '2026-11-22T08:00:00Z', response_code: 200, authorization: `DPoP ${S.SECRET_OPAQUE}`, dpop: S.SECRET_PROOF, path: `/p?token=${S.SECRET_OPAQUE}`, response_code_details: `x ${S.SECRET_JWT}` })],
  kong: [
    S.KONG_LINE,
    JSON.stringify({ request: { method: 'GET', url: `https://k/x?access_token=${S.SECRET_OPAQUE}`, headers: { authorization: `Bearer ${S.SECRET_JWT}`, 'set-cookie': S.SECRET_OPAQUE }, querystring: { token: S.SECRET_OPAQUE } }, response: { status: 200 }, started_at: 1795334774123 }),
  ],
  'aws-apigw': [S.APIGW_LINE, JSON.stringify({ requestId: 'r', requestTimeEpoch: 1795334774123, path: `/x?access_token=${S.SECRET_OPAQUE}`, status: '401', error: `Bearer ${S.SECRET_OPAQUE} denied`, key: S.PRIVATE_KEY_PEM })],
  'keycloak-events': [
    S.KEYCLOAK_QUOTED,
    `2026-11-22 08:00:00,000 WARN [org.keycloak.events] (t) type="CODE_TO_TOKEN_ERROR", clientId="c", error="invalid_request", reason="bad token=${S.SECRET_OPAQUE} Bearer ${S.SECRET_OPAQUE} ${S.SECRET_JWT}", redirect_uri="https://x/cb?access_token=${S.SECRET_OPAQUE}"`,
  ],
  ocsf: [
    S.OCSF_API,
    JSON.stringify({ class_uid: 3002, time: 1795334774123, status_id: 2, status_detail: `rejected ${S.SECRET_JWT} token=${S.SECRET_OPAQUE}`, http_request: { url: { url_string: `https://a/x?access_token=${S.SECRET_OPAQUE}` }, http_headers: [{ name: 'DPoP', value: S.SECRET_PROOF }, { name: 'Cookie', value: S.SECRET_OPAQUE }] }, unmapped: { private_key: PEM_JSON } }),
  ],
  introspection: [S.INTROSPECTION_LINE, JSON.stringify({ active: true, client_id: 'c', token: S.SECRET_OPAQUE, refresh_token: S.SECRET_GH })],
  'inventory-csv': [...S.INVENTORY_CSV, 'garbage,"with ' + S.SECRET_OPAQUE],
  gitleaks: [...S.GITLEAKS_REPORT, JSON.stringify({ RuleID: 'pk', Secret: S.PRIVATE_KEY_PEM, Match: S.PRIVATE_KEY_PEM, File: 'k.pem' })],
  caddy: [
    JSON.stringify({
      level: 'info', ts: 1795334774.123, logger: 'http.log.access.log0', msg: 'handled request',
      request: { remote_ip: '10.0.0.7', method: 'GET', host: 'api.example', uri: `/x?access_token=${S.SECRET_OPAQUE}`, headers: { Authorization: [`Bearer ${S.SECRET_JWT}`], Dpop: [S.SECRET_PROOF], Cookie: [`s=${S.SECRET_OPAQUE}`] } },
      status: 200,
    }),
  ],
  'apache-error': [
    `[Fri Dec 04 10:22:00.700217 2026] [ssl:info] [pid 4326:tid 4334] [client 127.0.0.1:49096] AH02276: Certificate Verification: Error (23): certificate revoked [subject: CN=svc-b,O=Test / issuer: O=Test,CN=Test Client CA / serial: 1002 / notbefore: Dec  4 10:21:25 2026 GMT / notafter: Dec  4 10:21:25 2027 GMT]`,
    `[Fri Dec 04 10:22:01.000000 2026] [ssl:info] [pid 4326:tid 4334] [client 127.0.0.1:49097] AH02276: Certificate Verification: Error (23): certificate revoked [subject: CN=${S.SECRET_JWT} / issuer: token=${S.SECRET_OPAQUE} / serial: 1003]`,
  ],
  trufflehog: [S.TRUFFLEHOG_LINE, JSON.stringify({ DetectorName: 'JWT', Raw: S.SECRET_JWT, RawV2: S.SECRET_JWT + S.SECRET_OPAQUE, SourceMetadata: { Data: { Filesystem: { file: 'a.txt', line: 1 } } } })],
};

function withoutProof(r: ParseResult): unknown {
  if (r.kind !== 'event') return r;
  return { ...r.event, dpopProof: null };
}

describe('no secret leaves a parser', () => {
  it('covers every format with a fixed line shape', () => {
    expect(FORMAT_NAMES.filter((f) => !LEAKY[f] && !isConfiguredFormat(f))).toEqual([]);
  });

  it.each(Object.keys(LEAKY).map((f) => [f as FormatName]))('%s', (format) => {
    const p = PARSERS[format];
    const ctx = createParseContext();
    const out: ParseResult[] = [];
    for (const l of LEAKY[format]!) {
      out.push(p.parseLine(l, ctx), ...ctx.pending.splice(0));
    }
    out.push(...(p.end?.(ctx) ?? []));
    expect(out.filter((r) => r.kind !== 'skip' && r.kind !== 'error').length).toBeGreaterThan(0);
    const text = JSON.stringify(out.map(withoutProof));
    for (const s of SECRETS) expect(text, `${format} output contains a secret`).not.toContain(s);
    expect(text).not.toMatch(/PRIVATE KEY/);
  });
});
