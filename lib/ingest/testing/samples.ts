// Sample lines per format, shaped from each project's documented fields (the NGINX ones
// also from real runs, see nginx-real.test.ts). Secrets here are fakes used to prove that
// no parser output carries them.

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/** A JWT-shaped access token (fake signature). */
export const SECRET_JWT = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ iss: 'https://as.example', sub: 'svc-a', client_id: 'svc-a', jti: 'jti-1', cnf: { jkt: 'JKT123' } })}.c2lnbmF0dXJlLW5vdC1yZWFs`;
/** A DPoP proof (fake signature). */
export const SECRET_PROOF = `${b64u({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } })}.${b64u({ htm: 'GET', htu: 'https://api.example/x', iat: 1795000000, jti: 'p-1' })}.cHJvb2Ytc2lnLW5vdC1yZWFs`;
export const SECRET_OPAQUE = 'opq_Sup3rS3cretValue_8f2b91c4d7e6';
export const SECRET_GH = 'ghp_R3allyS3cretGitHubTokenValue0123456789';
export const PRIVATE_KEY_PEM =
  '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgZmFrZWZha2VmYWtlZmFrZQ==\n-----END PRIVATE KEY-----';

export const CERT_PEM = `-----BEGIN CERTIFICATE-----
MIIBxzCCAW2gAwIBAgIULWaekpXeR05cumI6MgsxZ1y40gQwCgYIKoZIzj0EAwIw
HzEOMAwGA1UEAwwFc3ZjLWExDTALBgNVBAoMBFRlc3QwHhcNMjYxMTIyMDg0NDM5
WhcNMzYxMTE5MDg0NDM5WjAfMQ4wDAYDVQQDDAVzdmMtYTENMAsGA1UECgwEVGVz
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABP6slX0/T+3J27slXNCYvL9oV9Un
f0uTwiIpDwimoGclSoVJHYn5AZBLyJOA2hNhljTcjn0hS4HDyNzqtBQ2SkOjgYYw
gYMwHQYDVR0OBBYEFOlfDRJ3SkxZZyDmia6jv2wwlIDPMB8GA1UdIwQYMBaAFOlf
DRJ3SkxZZyDmia6jv2wwlIDPMA8GA1UdEwEB/wQFMAMBAf8wMAYDVR0RBCkwJ4Yl
c3BpZmZlOi8vZXhhbXBsZS5vcmcvbnMvcHJvZC9zYS9zdmMtYTAKBggqhkjOPQQD
AgNIADBFAiBmYIR0sP7zU4rYMzreOMvjp62cRpTQt721PzfPsC0iowIhAL3aXWJE
iWpZnVWPQGdeOjoukueX04Dak+FzlwRDK8SH
-----END CERTIFICATE-----
`;
/** base64url(SHA-256(DER)) of CERT_PEM, computed with openssl. */
export const CERT_X5T = 'rXcoz4MOlzoc_jMfgQ_OaoV9TGSsgMT96T1BwGxOPNc';
export const CERT_SHA256_HEX = 'ad7728cf830e973a1cfe331f810fce6a857d4c64ac80c4fde93d41c06c4e3cd7';
export const CERT_SHA1_HEX = 'a82ab1945d9a936e490783bfa9ddab4e8246f3aa';
export const CERT_SPIFFE = 'spiffe://example.org/ns/prod/sa/svc-a';
/** NGINX's $ssl_client_escaped_cert: the PEM URL-encoded. */
export const CERT_ESCAPED = encodeURIComponent(CERT_PEM);

export const NGINX_JSON_REAL =
  '{"time":"2026-11-22T08:06:14+00:00","status":400,"uri":"/api","ssl_client_verify":"FAILED:certificate revoked","ssl_client_s_dn":"O=Test,CN=svc-b","ssl_client_i_dn":"CN=Test Client CA,O=Test","ssl_client_serial":"1001","ssl_client_fingerprint":"f498c605fa3752617c698821c4b64c9fd589fd05","authz_scheme":"Bearer","has_dpop":"0"}';

export const NGINX_JSON_FULL = JSON.stringify({
  time: '2026-11-22T08:06:15+00:00', request_id: 'req-1', remote_addr: '10.0.0.7', method: 'GET', scheme: 'https', host: 'api.example',
  uri: `/orders?access_token=${SECRET_OPAQUE}`, status: 200, ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'O=Test,CN=svc-a',
  ssl_client_i_dn: 'O=Test,CN=svc-a', ssl_client_serial: '2D669E9295DE474E5CBA623A320B31675CB8D204', ssl_client_fingerprint: CERT_SHA1_HEX,
  ssl_client_escaped_cert: CERT_ESCAPED, http_authorization: `DPoP ${SECRET_JWT}`, has_dpop: '1', http_dpop: SECRET_PROOF,
});

export const NGINX_COMBINED_FULL = `10.0.0.7 - - [22/Nov/2026:08:06:14 +0000] "GET /api?token=${SECRET_OPAQUE} HTTP/1.1" 200 12 "-" "curl/7.88.1" "SUCCESS" "O=Test,CN=svc-a" "O=Test,CN=svc-a" "2D669E9295DE474E5CBA623A320B31675CB8D204" "${CERT_SHA1_HEX}" "DPoP" "1" "req-2" "${CERT_ESCAPED}"`;
export const NGINX_COMBINED_PLAIN = '192.168.1.2 - alice [22/Nov/2026:08:06:14 +0100] "POST /login HTTP/1.1" 401 0 "-" "Mozilla/5.0 (X11) \\x22quoted\\x22"';

export const ENVOY_LINE = JSON.stringify({
  start_time: '2026-11-22T08:06:14.123Z', method: 'GET', path: '/api', protocol: 'HTTP/1.1', response_code: 401, response_flags: '-',
  response_code_details: 'jwt_authn_access_denied{Jwt_is_expired}', downstream_remote_address: '10.1.2.3:51234', request_id: 'e-1',
  authority: 'api.mesh', downstream_peer_fingerprint_256: CERT_SHA256_HEX, downstream_peer_uri_san: CERT_SPIFFE,
  downstream_peer_subject: 'O=Test,CN=svc-a', downstream_peer_issuer: '-', downstream_peer_serial: '-', authorization: `Bearer ${SECRET_JWT}`,
  dpop: '-',
});

export const KONG_LINE = JSON.stringify({
  request: { method: 'GET', uri: '/orders', url: 'https://kong:8443/orders', size: 120, querystring: { access_token: SECRET_OPAQUE },
    headers: { authorization: 'REDACTED', dpop: SECRET_PROOF, host: 'kong', 'x-request-id': 'k-1', cookie: `sid=${SECRET_OPAQUE}` },
    tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384', client_verify: 'FAILED:certificate has expired' } },
  response: { status: 400, headers: {}, size: 10 }, consumer: { username: 'svc-orders', id: 'c-1' }, client_ip: '10.0.0.9',
  started_at: 1795334774123, route: { name: 'orders' }, service: { name: 'orders-svc', host: 'orders.internal' }, latencies: { kong: 1 },
});

export const APIGW_LINE = JSON.stringify({
  requestId: 'a-1', ip: '203.0.113.9', requestTimeEpoch: 1795334774123, httpMethod: 'POST', domainName: 'api.example.com', path: '/pay',
  status: '403', error: 'Forbidden', clientCertPem: CERT_PEM, subjectDN: 'CN=svc-a,O=Test', issuerDN: 'CN=svc-a,O=Test',
  serialNumber: '2D669E9295DE474E5CBA623A320B31675CB8D204', notBefore: 'Sun Nov 22 08:44:39 UTC 2026', notAfter: 'Wed Nov 19 08:44:39 UTC 2036',
});

export const KEYCLOAK_QUOTED =
  '2026-11-22 08:06:14,123 WARN  [org.keycloak.events] (executor-thread-1) type="REFRESH_TOKEN_ERROR", realmId="1f2e", realmName="prod", clientId="svc-a", userId="null", sessionId="null", ipAddress="10.0.0.5", error="invalid_dpop_proof", reason="DPoP proof is missing", grant_type="refresh_token"';
export const KEYCLOAK_UNQUOTED =
  '2021-03-01 10:00:00,000 WARN  [org.keycloak.events] (default task-1) type=REFRESH_TOKEN_ERROR, realmId=master, clientId=svc-b, userId=null, ipAddress=127.0.0.1, error=not_allowed, reason=Client certificate missing, or its thumbprint and one in the refresh token did NOT match, grant_type=refresh_token';
export const KEYCLOAK_SERVER_LINE = '2026-11-22 08:06:00,000 INFO  [io.quarkus] (main) Keycloak 26.0.0 started in 5.2s';

export const OCSF_AUTH = JSON.stringify({
  class_uid: 3002, category_uid: 3, activity_id: 1, time: 1795334774123, status_id: 2, status_detail: 'invalid_dpop_proof: DPoP proof signature invalid',
  auth_protocol_id: 6, user: { name: 'svc-a', uid: 'u-1' }, src_endpoint: { ip: '10.0.0.5' }, metadata: { uid: 'o-1', version: '1.3.0' },
  certificate: { subject: 'CN=svc-a', issuer: 'CN=ca', serial_number: '01', fingerprints: [{ algorithm_id: 3, value: CERT_SHA256_HEX }, { algorithm_id: 2, value: CERT_SHA1_HEX }] },
  unmapped: { jkt: 'JKT123' },
});
export const OCSF_API = JSON.stringify({
  class_uid: 6003, time: 1795334774000, api: { operation: 'GET', request: { uid: 'o-2' } },
  http_request: { http_method: 'GET', url: { url_string: 'https://api.example/x', path: '/x' }, http_headers: [{ name: 'Authorization', value: `Bearer ${SECRET_JWT}` }] },
  http_response: { code: 200 }, src_endpoint: { ip: '10.0.0.6' }, actor: { user: { name: 'svc-c' } },
});

export const INTROSPECTION_LINE = JSON.stringify({
  active: true, client_id: 'svc-a', sub: 'svc-a', scope: 'orders:read orders:write', iss: 'https://as.example', aud: ['https://api.example'],
  exp: 1795338374, iat: 1795334774, jti: 'jti-1', token_type: 'DPoP', cnf: { jkt: 'JKT123' }, token: SECRET_JWT,
});
export const INTROSPECTION_BOTH = JSON.stringify({ active: true, client_id: 'svc-x', jti: 'j-2', iss: 'https://as.example', cnf: { jkt: 'A', 'x5t#S256': 'B' } });

export const INVENTORY_CSV = [
  'nhi,token_id,binding,cnf,issued_at,expires_at,scopes,audience,issuer,source,token',
  `svc-a,jti-1,dpop,jkt:JKT123,2026-11-22T08:00:00Z,1795338374,"orders:read orders:write",https://api.example,https://as.example,okta,`,
  `"svc-b, the ""billing"" one",,mtls,${CERT_X5T},,,,,,vault,${SECRET_OPAQUE}`,
  'svc-c,jti-3,,,,,"multi',
  'line scope",,,,',
];

export const GITLEAKS_REPORT = JSON.stringify(
  [
    { Description: 'GitHub Personal Access Token', StartLine: 3, EndLine: 3, StartColumn: 10, EndColumn: 50, Match: `token = ${SECRET_GH}`, Secret: SECRET_GH,
      File: 'config/app.env', SymlinkFile: '', Commit: 'abc123', Entropy: 4.8, Author: 'dev', Email: 'dev@example.com', Date: '2026-11-01T10:00:00Z',
      Message: 'add config', Tags: [], RuleID: 'github-pat', Fingerprint: 'abc123:config/app.env:github-pat:3' },
    { Description: 'JWT', StartLine: 9, Match: SECRET_JWT, Secret: SECRET_JWT, File: 'k8s/secret.yaml', Commit: '', RuleID: 'jwt', Date: '' },
  ],
  null,
  1,
).split('\n');

export const TRUFFLEHOG_LINE = JSON.stringify({
  SourceMetadata: { Data: { Git: { commit: 'def456', file: 'deploy/.env', email: 'dev@example.com', repository: 'https://github.com/acme/app', timestamp: '2026-11-02 09:00:00 +0000', line: 4 } } },
  SourceID: 1, SourceType: 16, SourceName: 'trufflehog - git', DetectorType: 8, DetectorName: 'Github', DecoderName: 'PLAIN', Verified: true,
  Raw: SECRET_GH, RawV2: SECRET_GH, Redacted: '', ExtraData: { username: 'dev' }, StructuredData: null,
});
