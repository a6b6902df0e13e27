import { describe, expect, it } from 'vitest';
import * as S from './testing/samples.ts';
import { fingerprintFromJti, sha256B64url } from '../credentials/fingerprint.ts';
import { PARSERS, getParser } from './registry.ts';
import { createParseContext, FORMAT_NAMES, type FormatName, type ParseResult } from './types.ts';

const NOW = new Date('2026-11-22T12:00:00Z');

function parseAll(format: FormatName, lines: string[]): ParseResult[] {
  const p = PARSERS[format];
  const ctx = createParseContext({ now: () => NOW });
  const out: ParseResult[] = [];
  for (const l of lines) {
    out.push(p.parseLine(l, ctx));
    out.push(...ctx.pending.splice(0));
  }
  out.push(...(p.end?.(ctx) ?? []));
  return out.filter((r) => r.kind !== 'skip');
}

function one(format: FormatName, line: string): ParseResult {
  const [r] = parseAll(format, [line]);
  if (!r) throw new Error('no result');
  return r;
}

function event(format: FormatName, line: string) {
  const r = one(format, line);
  if (r.kind !== 'event') throw new Error(`expected event, got ${JSON.stringify(r)}`);
  return r.event;
}

describe('registry', () => {
  it('knows every format by name and nothing else', () => {
    expect(Object.keys(PARSERS)).toHaveLength(FORMAT_NAMES.length);
    expect(getParser('nginx-json')?.format).toBe('nginx-json');
    expect(getParser('syslog')).toBeNull();
  });
});

describe('nginx-json', () => {
  it('reads the line a real NGINX wrote for a revoked certificate', () => {
    const e = event('nginx-json', S.NGINX_JSON_REAL);
    expect(e).toMatchObject({
      occurredAt: new Date('2026-11-22T08:06:14Z'),
      httpStatus: 400,
      url: '/api',
      authScheme: 'Bearer',
      hasDpop: false,
      cert: { sha1Hex: 'f498c605fa3752617c698821c4b64c9fd589fd05', subjectDn: 'O=Test,CN=svc-b', issuerDn: 'CN=Test Client CA,O=Test', serial: '1001', verify: 'FAILED:certificate revoked', x5tS256: null },
      sourceVerdict: { verdict: 'cert_revoked', reason: 'certificate revoked' },
    });
  });

  it('computes x5t#S256 from $ssl_client_escaped_cert and fingerprints a logged Authorization header', () => {
    const e = event('nginx-json', S.NGINX_JSON_FULL);
    expect(e.cert?.x5tS256).toBe(S.CERT_X5T);
    expect(e.cert?.notAfter).toEqual(new Date('2036-11-19T08:44:39Z'));
    expect(e.authScheme).toBe('DPoP');
    expect(e.tokenFingerprint).toBe(sha256B64url(S.SECRET_JWT));
    expect(e.tokenClaims).toMatchObject({ client_id: 'svc-a', jti: 'jti-1' });
    expect(e.identityHint).toBe('svc-a');
    expect(e.dpopProof).toBe(S.SECRET_PROOF);
    expect(e.hasDpop).toBe(true);
    expect(e.url).toBe('https://api.example/orders?access_token=[redacted]');
    expect(e.redactedRaw).not.toContain(S.SECRET_JWT);
  });

  it.each([
    ['FAILED:certificate has expired', 'cert_expired'],
    ['FAILED:unable to get local issuer certificate', 'cert_untrusted'],
    ['FAILED:self-signed certificate', 'cert_untrusted'],
    ['SUCCESS', null],
    ['NONE', null],
  ])('maps ssl_client_verify %s to source verdict %s', (verify, verdict) => {
    const e = event('nginx-json', JSON.stringify({ time: '2026-11-22T08:00:00+00:00', status: 200, ssl_client_verify: verify }));
    expect(e.sourceVerdict?.verdict ?? null).toBe(verdict);
  });

  it.each([
    [{ msec: '1795334774.250', status: 200 }, '2026-11-22T08:06:14.250Z'],
    [{ time_local: '22/Nov/2026:09:06:14 +0100', status: 200 }, '2026-11-22T08:06:14.000Z'],
  ])('reads the time from %j', (o, iso) => {
    expect(event('nginx-json', JSON.stringify(o)).occurredAt.toISOString()).toBe(iso);
  });

  it.each([
    ['{"status":200}', 'missing_field'],
    ['{"time":"yesterday","status":200}', 'invalid_timestamp'],
    ['{"time":"2026-11-22T08:00:00Z","status":"ok"}', 'wrong_type'],
    ['{"time":"2026-11-22T08:00:00Z","status":99999}', 'invalid_value'],
    ['{"time":"2026-11-22T08:00:00Z","ssl_client_s_dn":{"cn":"x"}}', 'wrong_type'],
    ['[1,2]', 'not_an_object'],
    ['{"time":', 'invalid_json'],
  ])('rejects %s with %s', (line, reason) => {
    expect(one('nginx-json', line)).toMatchObject({ kind: 'error', reason });
  });
});

describe('nginx-combined', () => {
  it('reads the extended combined line with certificate, scheme, DPoP flag and request id', () => {
    const e = event('nginx-combined', S.NGINX_COMBINED_FULL);
    expect(e).toMatchObject({
      method: 'GET', url: '/api?token=[redacted]', httpStatus: 200, authScheme: 'DPoP', hasDpop: true, requestId: 'req-2', clientIp: '10.0.0.7',
      cert: { verify: 'SUCCESS', subjectDn: 'O=Test,CN=svc-a', sha1Hex: S.CERT_SHA1_HEX, x5tS256: S.CERT_X5T },
      identityHint: S.CERT_SPIFFE,
    });
  });

  it('reads a plain combined line (no TLS fields) with its time zone and \\x22 escapes', () => {
    const e = event('nginx-combined', S.NGINX_COMBINED_PLAIN);
    expect(e).toMatchObject({ method: 'POST', url: '/login', httpStatus: 401, cert: null, occurredAt: new Date('2026-11-22T07:06:14Z') });
  });

  it('treats "-" as unset', () => {
    const e = event('nginx-combined', '1.2.3.4 - - [22/Nov/2026:08:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "-" "NONE" "-" "-" "-" "-" "-" "0" "-"');
    expect(e.cert).toMatchObject({ verify: 'NONE', subjectDn: null });
    expect(e.authScheme).toBeNull();
    expect(e.requestId).toBeNull();
  });

  it('rejects a line that is not combined', () => {
    expect(one('nginx-combined', '{"status":200}')).toMatchObject({ kind: 'error', reason: 'unrecognized_line' });
  });
});

describe('envoy-json', () => {
  it('turns the hex SHA-256 peer fingerprint into x5t#S256 and reads jwt_authn expiry', () => {
    const e = event('envoy-json', S.ENVOY_LINE);
    expect(e.cert?.x5tS256).toBe(S.CERT_X5T);
    expect(e.cert?.issuerDn).toBeNull();
    expect(e.sourceVerdict).toEqual({ verdict: 'token_expired', reason: 'Jwt_is_expired' });
    expect(e.failureDetail).toBe('jwt_authn_access_denied{Jwt_is_expired}');
    expect(e.clientIp).toBe('10.1.2.3');
    expect(e.hasDpop).toBe(false);
  });

  it('uses the SPIFFE URI SAN as identity hint when no token is logged', () => {
    const e = event('envoy-json', JSON.stringify({ START_TIME: '2026-11-22T08:00:00Z', RESPONSE_CODE: 200, DOWNSTREAM_PEER_URI_SAN: S.CERT_SPIFFE }));
    expect(e.identityHint).toBe(S.CERT_SPIFFE);
  });

  it('reads a listener TLS failure reason as a certificate verdict', () => {
    const e = event('envoy-json', JSON.stringify({ start_time: '2026-11-22T08:00:00Z', response_code: 0, downstream_transport_failure_reason: 'TLS_error:_268436501:SSL_routines:OPENSSL_internal:SSLV3_ALERT_CERTIFICATE_EXPIRED' }));
    expect(e.sourceVerdict?.verdict).toBe('cert_expired');
  });
});

describe('kong', () => {
  it('reads consumer, client_verify, DPoP header and started_at in ms; REDACTED authorization gives no fingerprint', () => {
    const e = event('kong', S.KONG_LINE);
    expect(e).toMatchObject({
      occurredAt: new Date(1795334774123), identityHint: 'svc-orders', httpStatus: 400, hasDpop: true, dpopProof: S.SECRET_PROOF,
      authScheme: null, tokenFingerprint: null, requestId: 'k-1', sourceVerdict: { verdict: 'cert_expired' },
    });
  });

  it('rejects a Kong line without a request object', () => {
    expect(one('kong', '{"started_at":1795334774123}')).toMatchObject({ kind: 'error', reason: 'missing_field' });
  });
});

describe('aws-apigw', () => {
  it('computes x5t#S256 from clientCertPem and reads the string status', () => {
    const e = event('aws-apigw', S.APIGW_LINE);
    expect(e.cert?.x5tS256).toBe(S.CERT_X5T);
    expect(e.cert?.subjectDn).toBe('CN=svc-a,O=Test');
    expect(e.httpStatus).toBe(403);
    expect(e.failureDetail).toBe('Forbidden');
  });

  it('accepts $context-style and nested keys, and a PEM whose newlines were flattened to spaces', () => {
    const pem = S.CERT_PEM.replace(/\n/g, ' ');
    const e = event('aws-apigw', JSON.stringify({ '$context.requestId': 'r', '$context.requestTimeEpoch': '1795334774123', identity: { clientCert: { clientCertPem: pem } }, status: 200 }));
    expect(e.cert?.x5tS256).toBe(S.CERT_X5T);
    expect(e.requestId).toBe('r');
  });
});

describe('keycloak-events', () => {
  it('reads the quoted style: missing DPoP proof on refresh', () => {
    const e = event('keycloak-events', S.KEYCLOAK_QUOTED);
    expect(e).toMatchObject({ identityHint: 'svc-a', clientIp: '10.0.0.5', gateway: 'keycloak/prod', sourceVerdict: { verdict: 'no_proof_for_bound_token' } });
    expect(e.occurredAt.toISOString()).toBe('2026-11-22T08:06:14.123Z');
  });

  it('reads the unquoted style with a comma in the reason: mTLS thumbprint mismatch', () => {
    const e = event('keycloak-events', S.KEYCLOAK_UNQUOTED);
    expect(e.sourceVerdict).toEqual({ verdict: 'binding_mismatch', reason: 'x5t_mismatch' });
    expect(e.failureDetail).toContain('did NOT match');
    expect(e.identityHint).toBe('svc-b');
  });

  it.each([
    ['DPoP proof has already been used', 'jti_replay'],
    ['DPoP HTTP method mismatch', 'htm'],
    ['DPoP HTTP URL mismatch', 'htu'],
    ['DPoP proof signature is invalid', 'signature'],
  ])('maps invalid_dpop_proof reason "%s" to %s', (reason, code) => {
    const e = event('keycloak-events', `2026-11-22 08:00:00,000 WARN [org.keycloak.events] (t) type="CLIENT_LOGIN_ERROR", clientId="c", error="invalid_dpop_proof", reason="${reason}"`);
    expect(e.sourceVerdict).toEqual({ verdict: 'proof_invalid', reason: code });
  });

  it('reads Quarkus JSON log lines and skips other server lines', () => {
    const json = JSON.stringify({ timestamp: '2026-11-22T08:00:00.5Z', loggerName: 'org.keycloak.events', level: 'WARN', message: 'type="CLIENT_LOGIN", realmId="r", clientId="svc-z"' });
    expect(event('keycloak-events', json).identityHint).toBe('svc-z');
    expect(parseAll('keycloak-events', [S.KEYCLOAK_SERVER_LINE, JSON.stringify({ loggerName: 'io.quarkus', message: 'x' })])).toEqual([]);
  });
});

describe('ocsf', () => {
  it('reads Authentication 3002: SHA-256 fingerprint → x5t#S256, unmapped jkt, failed status detail', () => {
    const e = event('ocsf', S.OCSF_AUTH);
    expect(e.cert).toMatchObject({ x5tS256: S.CERT_X5T, sha1Hex: S.CERT_SHA1_HEX });
    expect(e.jkt).toBe('JKT123');
    expect(e.sourceVerdict).toEqual({ verdict: 'proof_invalid', reason: 'signature' });
  });

  it('reads API Activity 6003 with its Authorization header', () => {
    const e = event('ocsf', S.OCSF_API);
    expect(e).toMatchObject({ method: 'GET', url: 'https://api.example/x', httpStatus: 200, authScheme: 'Bearer', tokenFingerprint: sha256B64url(S.SECRET_JWT) });
  });

  it('rejects other classes with unsupported_class', () => {
    expect(one('ocsf', '{"class_uid":4001,"time":1}')).toMatchObject({ kind: 'error', reason: 'unsupported_class' });
  });
});

describe('introspection', () => {
  it('fingerprints the token member, drops it, and reads cnf.jkt as DPoP binding', () => {
    const r = one('introspection', S.INTROSPECTION_LINE);
    expect(r).toMatchObject({
      kind: 'token',
      token: { fingerprint: sha256B64url(S.SECRET_JWT), identityName: 'svc-a', binding: 'dpop', cnfJkt: 'JKT123', bindingAnomaly: false, scopes: ['orders:read', 'orders:write'], audience: ['https://api.example'], expiresAt: new Date(1795338374000), active: true },
    });
  });

  it('flags jkt and x5t#S256 on one token as a binding anomaly', () => {
    expect(one('introspection', S.INTROSPECTION_BOTH)).toMatchObject({ token: { bindingAnomaly: true, fingerprint: fingerprintFromJti('https://as.example', 'j-2') } });
  });

  it('reads cnf x5t#S256 as mTLS and token_type_hint refresh_token', () => {
    const r = one('introspection', JSON.stringify({ active: true, client_id: 'c', jti: 'j', cnf: { 'x5t#S256': S.CERT_X5T }, token_type_hint: 'refresh_token' }));
    expect(r).toMatchObject({ token: { binding: 'mtls', cnfX5tS256: S.CERT_X5T, tokenType: 'refresh' } });
  });

  it('flags token_type DPoP without cnf.jkt', () => {
    expect(one('introspection', JSON.stringify({ active: true, client_id: 'c', jti: 'j', token_type: 'DPoP' }))).toMatchObject({ token: { binding: 'bearer', bindingAnomaly: true } });
  });

  it.each([
    ['{"active":false}', 'missing_field'],
    ['{"active":"yes","jti":"j","client_id":"c"}', 'wrong_type'],
    ['{"active":true,"jti":"j","client_id":"c","exp":"tomorrow"}', 'wrong_type'],
    ['{"active":true,"jti":"j","client_id":"c","scope":5}', 'wrong_type'],
    ['{"active":true,"jti":"j"}', 'missing_field'],
  ])('rejects %s with %s', (line, reason) => {
    expect(one('introspection', line)).toMatchObject({ kind: 'error', reason });
  });
});

describe('inventory-csv', () => {
  it('reads rows with RFC 4180 quoting, multi-line fields, cnf prefixes, and hashes a raw token column', () => {
    const rs = parseAll('inventory-csv', S.INVENTORY_CSV);
    expect(rs.map((r) => r.kind)).toEqual(['token', 'token', 'token']);
    const [a, b, c] = rs.map((r) => (r.kind === 'token' ? r.token : null));
    expect(a).toMatchObject({ identityName: 'svc-a', binding: 'dpop', cnfJkt: 'JKT123', jti: 'jti-1', expiresAt: new Date(1795338374000), source: 'okta', fingerprint: fingerprintFromJti('https://as.example', 'jti-1') });
    expect(b).toMatchObject({ identityName: 'svc-b, the "billing" one', binding: 'mtls', cnfX5tS256: S.CERT_X5T, fingerprint: sha256B64url(S.SECRET_OPAQUE) });
    expect(c).toMatchObject({ identityName: 'svc-c', binding: 'bearer', scopes: ['multi', 'line', 'scope'] });
  });

  it('requires a header naming nhi and a token column; every following line reports it', () => {
    const rs = parseAll('inventory-csv', ['a,b,c', '1,2,3']);
    expect(rs).toEqual([
      { kind: 'error', reason: 'missing_header', message: expect.stringContaining('nhi') },
      { kind: 'error', reason: 'missing_header', message: expect.any(String) },
    ]);
  });

  it.each([
    ['svc,j', 'invalid_csv'],
    ['svc,j,bearr', 'invalid_value'],
    ['svc,,bearer', 'missing_field'],
    ['svc,j"x,bearer', 'invalid_csv'],
  ])('rejects row %j with %s', (line, reason) => {
    expect(parseAll('inventory-csv', ['nhi,token_id,binding', line])[0]).toMatchObject({ kind: 'error', reason });
  });

  it('flags a stated binding its cnf contradicts', () => {
    const [r] = parseAll('inventory-csv', ['nhi,token_id,binding,cnf_jkt', 's,j,bearer,JKT']);
    expect(r).toMatchObject({ token: { binding: 'dpop', bindingAnomaly: true } });
  });

  it('reports an unterminated quoted field at end of input', () => {
    expect(parseAll('inventory-csv', ['nhi,token_id', 's,"open'])).toEqual([{ kind: 'error', reason: 'unterminated_record', message: expect.any(String) }]);
  });
});

describe('gitleaks and trufflehog', () => {
  it('reads a pretty-printed gitleaks array report, one exposure per finding', () => {
    const rs = parseAll('gitleaks', S.GITLEAKS_REPORT);
    expect(rs).toHaveLength(2);
    expect(rs[0]).toMatchObject({ kind: 'exposure', exposure: { fingerprint: sha256B64url(S.SECRET_GH), ruleId: 'github-pat', location: 'config/app.env:3', commit: 'abc123', foundAt: new Date('2026-11-01T10:00:00Z') } });
    expect(rs[1]).toMatchObject({ exposure: { fingerprint: sha256B64url(S.SECRET_JWT), commit: null, foundAt: NOW } });
  });

  it('reads gitleaks as a one-line array and as JSON lines', () => {
    const compact = JSON.stringify(JSON.parse(S.GITLEAKS_REPORT.join('\n')));
    expect(parseAll('gitleaks', [compact])).toHaveLength(2);
    const lines = (JSON.parse(S.GITLEAKS_REPORT.join('\n')) as unknown[]).map((o) => JSON.stringify(o));
    expect(parseAll('gitleaks', lines).map((r) => r.kind)).toEqual(['exposure', 'exposure']);
  });

  it('rejects a gitleaks report run with --redact', () => {
    expect(one('gitleaks', JSON.stringify({ RuleID: 'x', Secret: 'REDACTED', File: 'f' }))).toMatchObject({ kind: 'error', reason: 'secret_redacted' });
  });

  it('reads trufflehog JSON lines and a trufflehog array', () => {
    expect(one('trufflehog', S.TRUFFLEHOG_LINE)).toMatchObject({ exposure: { scanner: 'trufflehog', ruleId: 'Github', commit: 'def456', location: 'https://github.com/acme/app deploy/.env:4', fingerprint: sha256B64url(S.SECRET_GH) } });
    expect(parseAll('trufflehog', ['[', `${S.TRUFFLEHOG_LINE},`, S.TRUFFLEHOG_LINE, ']'])).toHaveLength(2);
  });

  it('skips trufflehog log lines and reports an unterminated object at end', () => {
    expect(parseAll('trufflehog', ['{"level":"info","msg":"scanning"}'])).toEqual([]);
    expect(parseAll('trufflehog', ['[', '{"Raw":"x",'])).toEqual([{ kind: 'error', reason: 'unterminated_record', message: expect.any(String) }]);
  });
});
