// Unquoted values with spaces (bb3 D1, D2): the lines as NGINX 1.22 and Apache 2.4 wrote them for
// owner formats that do not quote $ssl_client_verify or the Authorization header. Each canonical
// field has a value shape (FIELD_VALUE_PATTERNS) that fixes where an unquoted value ends; a line
// that still splits more than one way is refused as ambiguous; a non-credential word never becomes
// a token fingerprint.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createParseContext, type ParseResult } from '../types.ts';
import { compileGatewayLogFormat } from './compile.ts';
import type { GatewayFormat } from './compiled.ts';

const NGINX = `http {
  log_format f_sha1only '$remote_addr [$time_local] "$request" $status $ssl_client_verify $ssl_client_fingerprint "$http_authorization"';
  log_format f_unq '$remote_addr [$time_local] "$request" $status $http_authorization $ssl_client_verify $ssl_client_serial "$ssl_client_escaped_cert" $request_time';
}`;
const APACHE = "LogFormat \"%t %>s \\\"%r\\\" %{SSL_CLIENT_VERIFY}x %{SSL_CLIENT_M_SERIAL}x %{Authorization}i %{SSL_CLIENT_S_DN}x\" a_unq";

const UNQ = ["127.0.0.1 [06/Dec/2026:04:59:08 +0000] \"GET /api/items?case=stolen HTTP/1.1\" 200 Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtb3RoZXIiLCJjbGllbnRfaWQiOiJzdmMtb3RoZXIiLCJzY29wZSI6ImFwaSIsImNuZiI6eyJ4NXQjUzI1NiI6InN2eGFHVXdpcE5wRTNkT1plQTF4bzdFeEZ2cld1R1ZTMDNocnZmWWpBSDAifSwiaXNzIjoiaHR0cHM6Ly9hcy5iYjMudGVzdCIsImF1ZCI6Imh0dHBzOi8vYXBpLmJiMy50ZXN0IiwiaWF0IjoxNzk2NTMyMzI0LCJleHAiOjE3OTY1Mzk1ODQsImp0aSI6ImJiMy1zdmMtb3RoZXItbHBsOXJrIn0.0X8I5oPqhcO_DRXONx2Vf_TtkkjmZWJecVB2BVhhbXwSJUgFl6nZ5fip4mbADnzxQQp-3kSC10Oudmmci-znqQ SUCCESS 0A1B2C \"-----BEGIN%20CERTIFICATE-----%0AMIIBODCB3wIDChssMAoGCCqGSM49BAMCMCkxETAPBgNVBAoMCEJCMyBUZXN0MRQw%0AEgYDVQQDDAtCQjMgUm9vdCBDQTAeFw0yNjEyMDYwNDQ2MDVaFw0yNzAxMDUwNDQ2%0AMDVaMCYxETAPBgNVBAoMCEJCMyBUZXN0MREwDwYDVQQDDAhzdmMtZ29vZDBZMBMG%0AByqGSM49AgEGCCqGSM49AwEHA0IABK%2BILhPs8znCm0sZ6y%2BJZmebYO%2B48brRVzAW%0AyuoDsdYK0RIwDp2KkImQNwAq4OctIuFAm8LQv3EBDYX%2FWTPLbmgwCgYIKoZIzj0E%0AAwIDSAAwRQIhAJCoZnDB0lmoAIipoAXjPfGrvOCUzO7ddm%2FWhubWQK1IAiAm5%2B12%0Ae45On37hctDUAQPnVDiNFlF5tVytFsGyWyr6Kg%3D%3D%0A-----END%20CERTIFICATE-----%0A\" 0.000", "127.0.0.1 [06/Dec/2026:04:59:09 +0000] \"GET /api/items?case=nocert HTTP/1.1\" 200 Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtZ29vZCIsImNsaWVudF9pZCI6InN2Yy1nb29kIiwic2NvcGUiOiJhcGkiLCJjbmYiOnsieDV0I1MyNTYiOiJBblBKckNuenR1RS05WnlmUWlHNWg0cGJpRGgzSVFjMjF6cmQ1WThrLU9JIn0sImlzcyI6Imh0dHBzOi8vYXMuYmIzLnRlc3QiLCJhdWQiOiJodHRwczovL2FwaS5iYjMudGVzdCIsImlhdCI6MTc5NjUzMjMyNCwiZXhwIjoxNzk2NTM5NTg0LCJqdGkiOiJiYjMtc3ZjLWdvb2QteGw0ZGx2In0.gVnRzpEOSflhTqU-Jf5muSj4OqvnS2ZlYW1djpIZcvmQxPnDIJEnXQr22_qTK57hPBDDZIdibkQ_3drSQLpOLA NONE - \"-\" 0.000", "127.0.0.1 [06/Dec/2026:04:59:10 +0000] \"GET /api/items?case=bearer HTTP/1.1\" 200 Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtYmVhcmVyIiwiY2xpZW50X2lkIjoic3ZjLWJlYXJlciIsInNjb3BlIjoiYXBpIiwiaXNzIjoiaHR0cHM6Ly9hcy5iYjMudGVzdCIsImF1ZCI6Imh0dHBzOi8vYXBpLmJiMy50ZXN0IiwiaWF0IjoxNzk2NTMyMzI0LCJleHAiOjE3OTY1Mzk1ODQsImp0aSI6ImJiMy1zdmMtYmVhcmVyLWZrdWdqMiJ9.24VkVh01SwEA_mN1Ov3w4PZdDCXoU05YNitZ9G4Fz35iMEUQTIroy3zoo0FwY2C4uIy_ehECahH2dBIHpvs2jA SUCCESS 0A1B2C \"-----BEGIN%20CERTIFICATE-----%0AMIIBODCB3wIDChssMAoGCCqGSM49BAMCMCkxETAPBgNVBAoMCEJCMyBUZXN0MRQw%0AEgYDVQQDDAtCQjMgUm9vdCBDQTAeFw0yNjEyMDYwNDQ2MDVaFw0yNzAxMDUwNDQ2%0AMDVaMCYxETAPBgNVBAoMCEJCMyBUZXN0MREwDwYDVQQDDAhzdmMtZ29vZDBZMBMG%0AByqGSM49AgEGCCqGSM49AwEHA0IABK%2BILhPs8znCm0sZ6y%2BJZmebYO%2B48brRVzAW%0AyuoDsdYK0RIwDp2KkImQNwAq4OctIuFAm8LQv3EBDYX%2FWTPLbmgwCgYIKoZIzj0E%0AAwIDSAAwRQIhAJCoZnDB0lmoAIipoAXjPfGrvOCUzO7ddm%2FWhubWQK1IAiAm5%2B12%0Ae45On37hctDUAQPnVDiNFlF5tVytFsGyWyr6Kg%3D%3D%0A-----END%20CERTIFICATE-----%0A\" 0.000", "127.0.0.1 [06/Dec/2026:04:59:12 +0000] \"GET /api/items?case=revoked HTTP/1.1\" 400 Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtcmV2b2tlZCIsImNsaWVudF9pZCI6InN2Yy1yZXZva2VkIiwic2NvcGUiOiJhcGkiLCJjbmYiOnsieDV0I1MyNTYiOiJYLWVDWmZXNm1zTmhORE5UcUNRMkk0NGJRWktxYUFSSDZaUEg3U0Yya3dVIn0sImlzcyI6Imh0dHBzOi8vYXMuYmIzLnRlc3QiLCJhdWQiOiJodHRwczovL2FwaS5iYjMudGVzdCIsImlhdCI6MTc5NjUzMjMyNCwiZXhwIjoxNzk2NTM5NTg0LCJqdGkiOiJiYjMtc3ZjLXJldm9rZWQtZnhsMDB6In0.Z-4FqoX-rY3OJ7xGiQVDqIqRsCFiFHEi2eddkt-uLct3qkVvl181r5tn55is9-9ApT-R-1gxJTHg1udhKzwYPg FAILED:certificate revoked 77 \"-----BEGIN%20CERTIFICATE-----%0AMIIBOTCB4AIBdzAKBggqhkjOPQQDAjApMREwDwYDVQQKDAhCQjMgVGVzdDEUMBIG%0AA1UEAwwLQkIzIFJvb3QgQ0EwHhcNMjYxMjA2MDQ0NjA1WhcNMjcwMTA1MDQ0NjA1%0AWjApMREwDwYDVQQKDAhCQjMgVGVzdDEUMBIGA1UEAwwLc3ZjLXJldm9rZWQwWTAT%0ABgcqhkjOPQIBBggqhkjOPQMBBwNCAASVR831mZ3Tcx%2BvZpXk%2FQ2F7m8ZWruqh0qw%0Axdkgheb%2BFXQ%2B7vvhevI%2BCAdgcn2uQKc3ERDwmrzZrXvp1caOUL0YMAoGCCqGSM49%0ABAMCA0gAMEUCIGLBGjCGhT8swGRrHwE9Dk1V2TatRAJqLSeLU%2B97kPPVAiEA%2BNX5%0AkDrTi4RpYuVjULjN2kRmEKHXq03WuDV%2Fn4IxlKE%3D%0A-----END%20CERTIFICATE-----%0A\" 0.000"];
const SHA1ONLY = ["127.0.0.1 [06/Dec/2026:04:46:50 +0000] \"GET /api/items?case=revoked HTTP/1.1\" 400 FAILED:certificate revoked 102beb0e07887063a6bfe904b1f90a6e723d989a \"Bearer eyJhbGciOiJFUzI1NiIs...\"", "127.0.0.1 [06/Dec/2026:04:46:51 +0000] \"GET /api/items?case=expired HTTP/1.1\" 400 FAILED:certificate has expired 775bdb6cdf24ca15936fa0d6b2d2fe009641a63f \"Bearer eyJhbGciOiJFUzI1NiIs...\""];
const APACHE_UNQ = ["[06/Dec/2026:05:59:27 +0100] 200 \"GET /api/items?case=good HTTP/1.1\" SUCCESS 0A1B2C Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtZ29vZCIsImNsaWVudF9pZCI6InN2Yy1nb29kIiwic2NvcGUiOiJhcGkiLCJjbmYiOnsieDV0I1MyNTYiOiJBblBKckNuenR1RS05WnlmUWlHNWg0cGJpRGgzSVFjMjF6cmQ1WThrLU9JIn0sImlzcyI6Imh0dHBzOi8vYXMuYmIzLnRlc3QiLCJhdWQiOiJodHRwczovL2FwaS5iYjMudGVzdCIsImlhdCI6MTc5NjUzMjMyNCwiZXhwIjoxNzk2NTM5NTg0LCJqdGkiOiJiYjMtc3ZjLWdvb2QteGw0ZGx2In0.gVnRzpEOSflhTqU-Jf5muSj4OqvnS2ZlYW1djpIZcvmQxPnDIJEnXQr22_qTK57hPBDDZIdibkQ_3drSQLpOLA CN=svc-good,O=BB3 Test", "[06/Dec/2026:05:59:33 +0100] 200 \"GET /api/items?case=untrusted HTTP/1.1\" FAILED:unable to verify the first certificate 55 Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtdW50cnVzdGVkIiwiY2xpZW50X2lkIjoic3ZjLXVudHJ1c3RlZCIsInNjb3BlIjoiYXBpIiwiY25mIjp7Ing1dCNTMjU2IjoiSnNkMTVRdG9Jdy03NklJNmc0SnV3aVNXZjFDUXp1WGJDZTExSEtuQVppdyJ9LCJpc3MiOiJodHRwczovL2FzLmJiMy50ZXN0IiwiYXVkIjoiaHR0cHM6Ly9hcGkuYmIzLnRlc3QiLCJpYXQiOjE3OTY1MzIzMjQsImV4cCI6MTc5NjUzOTU4NCwianRpIjoiYmIzLXN2Yy11bnRydXN0ZWQtcmR6cThzIn0.chxBvHc3VSWA1H4nlO9KqXYCTCRsniOqX_9vgY-CadeT8xzHnN68iUi2KqGPipqEzTb9ErGGUW3pNcPz3w34bw CN=svc-untrusted,O=Evil", "[06/Dec/2026:05:59:33 +0100] 200 \"GET /api/items?case=selfsigned HTTP/1.1\" FAILED:self-signed certificate 5DE5B7965DFDA91B20DD67C84B5E287AC159F92C Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtc2VsZnNpZ25lZCIsImNsaWVudF9pZCI6InN2Yy1zZWxmc2lnbmVkIiwic2NvcGUiOiJhcGkiLCJjbmYiOnsieDV0I1MyNTYiOiJNbjdNbm9aeUJuVy1mTWw0bkpiVDM0OFMyWWdNekZ2M3N3OTFXN1E1aWlZIn0sImlzcyI6Imh0dHBzOi8vYXMuYmIzLnRlc3QiLCJhdWQiOiJodHRwczovL2FwaS5iYjMudGVzdCIsImlhdCI6MTc5NjUzMjMyNCwiZXhwIjoxNzk2NTM5NTg0LCJqdGkiOiJiYjMtc3ZjLXNlbGZzaWduZWQtNzlxM2I5In0.6qr-w1jP79kJZxIdt-f13PkeC4yiRb-eT0H-1iLPWPgV5sehvBWAOdHCKGZ4eAL4bMWFKsfpESdO-xkziclUuQ CN=svc-selfsigned"];

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
/** The token a line carries (`Bearer <jwt>`), as the test computes it from the line itself. */
const tokenOf = (line: string) => sha256(/Bearer (eyJ\S+)/.exec(line)![1]!);

function parse(gateway: GatewayFormat, config: string, name: string, line: string): ParseResult {
  return compileGatewayLogFormat({ gateway, config, logFormat: name }).parser.parseLine(line, createParseContext());
}

function event(gateway: GatewayFormat, config: string, name: string, line: string) {
  const r = parse(gateway, config, name, line);
  if (r.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(r)}`);
  return r.event;
}

describe('NGINX: $ssl_client_verify unquoted (FAILED:certificate revoked has spaces)', () => {
  it.each([
    [0, 'FAILED:certificate revoked', 'cert_revoked', '102beb0e07887063a6bfe904b1f90a6e723d989a'],
    [1, 'FAILED:certificate has expired', 'cert_expired', '775bdb6cdf24ca15936fa0d6b2d2fe009641a63f'],
  ] as const)('line %i: the whole reason is the verify result, the 40-hex SHA-1 after it', (i, verify, verdict, sha1) => {
    const e = event('nginx', NGINX, 'f_sha1only', SHA1ONLY[i]!);
    expect(e.cert).toMatchObject({ verify, sha1Hex: sha1 });
    expect(e.sourceVerdict?.verdict).toBe(verdict);
    expect(e.failureDetail).toBe(verify);
  });

  it('no warning: the SHA-1 after the verify result fixes its end', () => {
    expect(compileGatewayLogFormat({ gateway: 'nginx', config: NGINX, logFormat: 'f_sha1only' }).warnings.join('\n')).not.toMatch(/unquoted/);
  });
});

describe('NGINX: $http_authorization unquoted ("Bearer <jwt>" has a space)', () => {
  it.each([
    [0, 'stolen', 'SUCCESS', '0A1B2C', null],
    [1, 'nocert', 'NONE', null, null],
    [2, 'bearer', 'SUCCESS', '0A1B2C', null],
    [3, 'revoked', 'FAILED:certificate revoked', '77', 'cert_revoked'],
  ] as const)('line %i (%s): the token, the verify result and the serial each read whole', (i, _case, verify, serial, verdict) => {
    const line = UNQ[i]!;
    const e = event('nginx', NGINX, 'f_unq', line);
    expect(e).toMatchObject({ authScheme: 'Bearer', tokenFingerprint: tokenOf(line), httpStatus: i === 3 ? 400 : 200 });
    expect(e.cert?.verify).toBe(verify);
    expect(e.cert?.serial ?? null).toBe(serial);
    expect(e.sourceVerdict?.verdict ?? null).toBe(verdict);
    expect(e.redactedRaw).toContain('Bearer [redacted] ');
    expect(e.redactedRaw).not.toContain('eyJ');
  });

  it('compile warns that $http_authorization and $ssl_client_verify are unquoted side by side', () => {
    const { warnings } = compileGatewayLogFormat({ gateway: 'nginx', config: NGINX, logFormat: 'f_unq' });
    expect(warnings).toContain(
      "log_format 'f_unq': $http_authorization and $ssl_client_verify are unquoted, side by side, and may hold spaces: a line where it is not certain which words belong to which is refused (ambiguous_line); put quotes around them in the format",
    );
  });

  it('a line that splits two ways is refused as ambiguous, not read by a guess', () => {
    const config = "log_format amb '[$time_local] $status $ssl_client_verify $http_x_note $ssl_client_fingerprint';";
    const r = parse('nginx', config, 'amb', '[06/Dec/2026:04:46:50 +0000] 400 FAILED:certificate revoked late 102beb0e07887063a6bfe904b1f90a6e723d989a');
    expect(r).toEqual({
      kind: 'error', reason: 'ambiguous_line',
      message: "log_format 'amb': $ssl_client_verify can end at more than one place on this line (an unquoted value with spaces next to another): which value is which is not certain; quote the value in the log format",
    });
    // One way only (the label holds no space after a one-word result): read.
    expect(event('nginx', config, 'amb', '[06/Dec/2026:04:46:50 +0000] 200 SUCCESS late 102beb0e07887063a6bfe904b1f90a6e723d989a').cert?.verify).toBe('SUCCESS');
  });
});

describe('Apache: %{SSL_CLIENT_VERIFY}x %{SSL_CLIENT_M_SERIAL}x %{Authorization}i %{SSL_CLIENT_S_DN}x unquoted', () => {
  it.each([
    [0, 'SUCCESS', '0A1B2C', 'CN=svc-good,O=BB3 Test', null],
    [1, 'FAILED:unable to verify the first certificate', '55', 'CN=svc-untrusted,O=Evil', 'cert_untrusted'],
    [2, 'FAILED:self-signed certificate', '5DE5B7965DFDA91B20DD67C84B5E287AC159F92C', 'CN=svc-selfsigned', 'cert_untrusted'],
  ] as const)('line %i: every value read whole; the identity is the token\'s, not words of the line', (i, verify, serial, dn, verdict) => {
    const line = APACHE_UNQ[i]!;
    const e = event('apache', APACHE, 'a_unq', line);
    expect(e).toMatchObject({ authScheme: 'Bearer', tokenFingerprint: tokenOf(line) });
    expect(e.cert).toMatchObject({ verify, serial, subjectDn: dn });
    expect(e.sourceVerdict?.verdict ?? null).toBe(verdict);
    expect(e.identityHint).toMatch(/^svc-/);
  });

  it('compile warns about the Authorization header and the DN side by side', () => {
    const { warnings } = compileGatewayLogFormat({ gateway: 'apache', config: APACHE, logFormat: 'a_unq' });
    expect(warnings.filter((w) => w.includes('unquoted'))).toEqual([
      "LogFormat 'a_unq': %{Authorization}i and %{SSL_CLIENT_S_DN}x are unquoted, side by side, and may hold spaces: a line where it is not certain which words belong to which is refused (ambiguous_line); put quotes around them in the format",
    ]);
  });
});

describe('a word that is no credential never becomes a token fingerprint', () => {
  const config = "log_format q '[$time_local] $ssl_client_verify \"$http_authorization\"';";
  it.each([
    ['verify', null],
    ['CN=a,O=b x', null],
    ['Bearer', null],
    ['eyJhbGciOiJFUzI1NiJ9.e30.c2ln', sha256('eyJhbGciOiJFUzI1NiJ9.e30.c2ln')],
  ])('Authorization %j → fingerprint %j', (value, fp) => {
    const e = event('nginx', config, 'q', `[06/Dec/2026:04:46:50 +0000] SUCCESS "${value}"`);
    expect(e.tokenFingerprint).toBe(fp);
  });
});
