// Compiling a gateway's configuration into a log-format parser: which format is picked, what is
// refused (one line saying what is missing), and how each gateway's escaping is undone.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as S from '../testing/samples.ts';
import { NGINX_COMBINED_LOG_FORMAT } from '../formats/nginx-combined.ts';
import { NGINX_AUTH_MAPS, NGINX_JSON_LOG_FORMAT } from '../formats/nginx-json.ts';
import { apacheLogConfig, haproxyFrontend, nginxNjsHttpConfig } from '../gateway-configs.ts';
import { PARSERS } from '../registry.ts';
import { createParseContext, type ParseResult } from '../types.ts';
import { compileGatewayLogFormat } from './compile.ts';
import { LogFormatError, type GatewayFormat } from './compiled.ts';

function compileError(gateway: GatewayFormat, config: string, logFormat?: string): LogFormatError {
  try {
    compileGatewayLogFormat({ gateway, config, logFormat });
  } catch (e) {
    if (e instanceof LogFormatError) return e;
    throw e;
  }
  throw new Error('compiled');
}

function parse(gateway: GatewayFormat, config: string, line: string, logFormat?: string): ParseResult {
  return compileGatewayLogFormat({ gateway, config, logFormat }).parser.parseLine(line, createParseContext({ now: () => new Date('2026-12-04T12:00:00Z') }));
}

function event(gateway: GatewayFormat, config: string, line: string, logFormat?: string) {
  const r = parse(gateway, config, line, logFormat);
  if (r.kind !== 'event') throw new Error(`not an event: ${JSON.stringify(r)}`);
  return r.event;
}

const NGINX_MAIN = `http {
  log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                  '$status $body_bytes_sent "$http_referer" "$http_user_agent" '
                  'ssl="$ssl_client_verify" dn="$ssl_client_s_dn" fp=$ssl_client_fingerprint auth="$http_authorization"';
  server { access_log /var/log/nginx/access.log main; }
}`;

describe('refusals: one line naming what is missing', () => {
  it.each([
    ['nginx', "http { log_format main '$remote_addr $status $ssl_client_verify'; access_log x main; }", undefined, 'no_time', "log_format 'main' has no time variable"],
    ['nginx', "log_format plain '$remote_addr [$time_local] \"$request\" $status'; access_log x plain;", undefined, 'no_binding_facts', "log_format 'plain' carries no token, certificate or verify result: nothing to judge binding by"],
    // access_log without a format uses NGINX's built-in combined, which carries nothing to judge by.
    ['nginx', 'http { access_log /var/log/nginx/access.log; }', undefined, 'no_binding_facts', "log_format 'combined' carries no token, certificate or verify result: nothing to judge binding by"],
    ['nginx', 'http { server { listen 443; } }', undefined, 'no_log_format', 'the configuration defines no log_format'],
    ['nginx', NGINX_MAIN, 'mian', 'unknown_name', "no log_format named 'mian'; the configuration has: main"],
    ['nginx', "log_format main '$time_local \"$request\"", undefined, 'syntax', 'unterminated single-quoted string in the NGINX configuration'],
    ['apache', 'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common\nCustomLog logs/access_log common', undefined, 'no_binding_facts', "LogFormat 'common' carries no token, certificate or verify result: nothing to judge binding by"],
    ['apache', 'LogFormat "%{msec_frac}t %{SSL_CLIENT_VERIFY}x" frac', undefined, 'no_time', "LogFormat 'frac' has no complete time (its time variables give no full date)"],
    ['apache', 'LogFormat "%t %{SSL_CLIENT_VERIFY}x" a\nLogFormat "%t %{Authorization}i" b', 'c', 'unknown_name', "no LogFormat named 'c'; the configuration has: a, b"],
    ['apache', 'LogFormat "%t %{SSL_CLIENT_VERIFY}x" a\nLogFormat "%t %{Authorization}i" b', undefined, 'ambiguous', 'several LogFormats could be the one: a, b; pass --log-format NAME'],
    ['haproxy', 'frontend fe\n  bind :443\n  option httplog', undefined, 'no_binding_facts', "log-format of frontend 'fe' carries no token, certificate or verify result: nothing to judge binding by"],
    ['haproxy', 'global\n  log stdout format raw local0\nbackend be\n  server s1 127.0.0.1:80', undefined, 'no_log_format', 'no frontend or listen section of the HAProxy configuration has a log-format or option httplog/httpslog'],
    ['haproxy', 'frontend a\n  log-format "%Ts %[ssl_c_err]"\nfrontend b\n  log-format "%Ts %[ssl_c_err]"', 'c', 'unknown_name', "no frontend named 'c'; the configuration has: a, b"],
  ] as const)('%s: %s', (gateway, config, name, code, message) => {
    const e = compileError(gateway, config, name);
    expect(e.code).toBe(code);
    expect(e.message).toBe(message);
    expect(e.message).not.toContain('\n');
  });

  it('a format in use that cannot be used is named even when another, unused, could be', () => {
    const e = compileError('nginx', "log_format ok '$time_iso8601 $ssl_client_verify'; log_format bad '$remote_addr'; access_log x bad;");
    expect(e.message).toBe("log_format 'bad' has no time variable");
  });
});

describe('which format is picked', () => {
  it('NGINX: the one an access_log uses, among several defined', () => {
    const c = compileGatewayLogFormat({ gateway: 'nginx', config: `log_format other '$time_local $status $ssl_client_verify'; ${NGINX_MAIN}` });
    expect(c.name).toBe('main');
    expect(c.names).toEqual(['other', 'main']);
  });

  it('Apache: the nickname a CustomLog uses; an inline CustomLog format is named by its path', () => {
    const config = `LogFormat "%h %t %{SSL_CLIENT_VERIFY}x" unused
CustomLog "logs/ssl_request_log" "%t %h %{SSL_PROTOCOL}x %{SSL_CLIENT_VERIFY}x \\"%r\\" %b"`;
    const c = compileGatewayLogFormat({ gateway: 'apache', config });
    expect(c.name).toBe('logs/ssl_request_log');
    expect(c.labels).toContain('SSL_PROTOCOL');
  });

  it('HAProxy: the only frontend with a usable format; a defaults section passes its format on', () => {
    const config = `defaults
  mode http
  log-format "%Ts %ST %[ssl_c_verify] %[ssl_c_err]"
frontend stats
  bind :8404
  no option httplog
frontend fe_api
  bind :443 ssl crt x.pem`;
    const c = compileGatewayLogFormat({ gateway: 'haproxy', config });
    expect(c.name).toBe('fe_api');
    expect(c.warnings).toEqual([expect.stringContaining('logs nothing of the token'), expect.stringContaining('logs no certificate fingerprint or PEM')]);
  });
});

describe('NGINX lines', () => {
  const line = '127.0.0.1 - - [04/Dec/2026:10:22:00 +0000] "GET /a?b=\\x22c\\x22 HTTP/1.1" 200 3 "-" "curl/7.88" ssl="SUCCESS" dn="CN=svc-a,O=Test" fp=C5495C3A5A9F60D05A19132335907CEF94CEB34E auth="Bearer opaque-1"';

  it('default escaping (\\xHH) undone; the Authorization header fingerprinted, not kept', () => {
    const e = event('nginx', NGINX_MAIN, line);
    expect(e).toMatchObject({
      format: 'nginx', httpStatus: 200, method: 'GET', url: '/a?b="c"', clientIp: '127.0.0.1', authScheme: 'Bearer',
      tokenFingerprint: createHash('sha256').update('opaque-1').digest('base64url'),
      cert: { verify: 'SUCCESS', subjectDn: 'CN=svc-a,O=Test', sha1Hex: 'c5495c3a5a9f60d05a19132335907cef94ceb34e' },
    });
    expect(e.occurredAt.toISOString()).toBe('2026-12-04T10:22:00.000Z');
    expect(e.redactedRaw).toContain('auth="Bearer [redacted]"');
    expect(JSON.stringify(e)).not.toContain('opaque-1');
    expect(e.labels).toEqual({ body_bytes_sent: '3', http_user_agent: 'curl/7.88' });
  });

  it.each([
    ['the status is not a number', line.replace('" 200 3', '" 2x0 3'), '$status does not fit'],
    ['the time is not a CLF time', line.replace('[04/Dec/2026:10:22:00 +0000]', '[yesterday]'), '$time_local does not fit'],
    ['a quoted value is cut short', line.replace('ssl="SUCCESS"', 'ssl=SUCCESS'), 'after $http_user_agent: expected "\\" ssl=\\""'],
  ])('a line that does not match is rejected naming the field: %s', (_n, bad, fragment) => {
    const r = parse('nginx', NGINX_MAIN, bad);
    expect(r).toMatchObject({ kind: 'error', reason: 'unrecognized_line' });
    expect((r as { message: string }).message).toContain("does not match log_format 'main'");
    expect((r as { message: string }).message).toContain(fragment);
  });

  it('escape=json, nested members in any order, ${var} braces; the escaped PEM read for x5t#S256', () => {
    const config = `log_format j escape=json '{"t":"\${time_iso8601}","tls":{"v":"$ssl_client_verify","s":"$ssl_client_s_dn"},"st":$status,"r":"$request_method $request_uri","x":"$http_x_request_id","id":"$request_id"}'; access_log x j;`;
    const e = event('nginx', config, '{"st":403,"tls":{"s":"CN=a\\"b","v":"FAILED:certificate revoked"},"r":"POST /p","t":"2026-12-04T10:00:00+00:00","x":"rid-1","id":"0123"}');
    expect(e).toMatchObject({ httpStatus: 403, method: 'POST', url: '/p', correlationId: 'rid-1', requestId: '0123', cert: { subjectDn: 'CN=a"b', verify: 'FAILED:certificate revoked' }, sourceVerdict: { verdict: 'cert_revoked' } });
  });

  it('a JSON line missing its time member is rejected as such', () => {
    const config = `log_format j escape=json '{"t":"$time_iso8601","v":"$ssl_client_verify"}'; access_log x j;`;
    expect(parse('nginx', config, '{"v":"SUCCESS"}')).toMatchObject({ kind: 'error', reason: 'missing_field' });
  });
});

describe('Apache lines', () => {
  const config = 'LogFormat "%h %t \\"%r\\" %>s \\"%{User-Agent}i\\" %{SSL_CLIENT_VERIFY}x \\"%{SSL_CLIENT_CERT}x\\" \\"%{X-Api-Key}i\\" \\"%{Cookie}i\\"" f\nCustomLog x f';

  it('ap_escape_logitem undone: \\" and \\xhh in values, the PEM with \\n escapes read into x5t#S256', () => {
    const pem = '-----BEGIN CERTIFICATE-----\\nMIIBQTCB5wIUc81Vszz4agiRSU3aOhlMy+61hlIwCgYIKoZIzj0EAwIwJzERMA8G\\nA1UEAwwIT3RoZXIgQ0ExEjAQBgNVBAoMCUVsc2V3aGVyZTAeFw0yNjEyMDQxMDIx\\nMjZaFw0yNzAxMDMxMDIxMjZaMB8xDTALBgNVBAoMBFRlc3QxDjAMBgNVBAMMBXN2\\nYy1kMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWgSWRPRzsBwwC5Kbqs5WsBLi\\n+lRy47kAZDiuO3xK1cTA6CkR3VBbNHlwfU2caeQ2DzCJaa+Crr4tvjx61bbFrTAK\\nBggqhkjOPQQDAgNJADBGAiEAwypwUOEIxaOOpN/gkdiaTStBxEs+LfCYoyfIHqVz\\nax8CIQCKQNmEWqDizexiB0ajFR+RkbDuYKOc8OjG+qlHGzDP2Q==\\n-----END CERTIFICATE-----\\n';
    const e = event('apache', config, `10.0.0.1 [04/Dec/2026:10:22:01 +0000] "GET /x HTTP/1.1" 200 "say \\"hi\\" \\xc3\\xa9" FAILED:unable to verify the first certificate "${pem}" "k-123" "sid=s3cr3t"`);
    expect(e.labels).toEqual({ 'user-agent': 'say "hi" é', 'x-api-key': '[redacted]', cookie: '[redacted]' });
    expect(e.cert).toMatchObject({ x5tS256: 'PgA0XUOFHFDXTxBPKA1ggX7hjEObpOjmdZF7hi9CQ5w', subjectDn: 'CN=svc-d,O=Test', verify: 'FAILED:unable to verify the first certificate' });
    expect(e.redactedRaw).not.toContain('k-123');
    expect(e.redactedRaw).not.toContain('s3cr3t');
  });

  it('a logged Host and %{HTTPS}x make the full request URL a DPoP proof\'s htu is checked against', () => {
    const c = 'LogFormat "%t \\"%r\\" %>s \\"%{Host}i\\" %{HTTPS}x %{SSL_CLIENT_VERIFY}x" f';
    expect(event('apache', c, '[04/Dec/2026:10:22:01 +0000] "GET /api/x?q=1 HTTP/1.1" 200 "127.0.0.1:18200" on NONE').url).toBe('https://127.0.0.1:18200/api/x?q=1');
    expect(event('apache', c, '[04/Dec/2026:10:22:01 +0000] "GET /api/x HTTP/1.1" 200 "api.test" off NONE').url).toBe('http://api.test/api/x');
  });

  it('strftime pieces of one time in several %{…}t, and status-conditional directives', () => {
    const c = 'LogFormat "%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t %400,501{Referer}i %{SSL_CLIENT_VERIFY}x" f';
    const e = event('apache', c, '04/Dec/2026 10:22:01.190 +0100 - GENEROUS');
    expect(e.occurredAt.toISOString()).toBe('2026-12-04T09:22:01.190Z');
    expect(e.sourceVerdict).toEqual({ verdict: 'cert_untrusted', reason: 'GENEROUS: accepted unverified (SSLVerifyClient optional_no_ca)' });
  });
});

describe('a time logged without a zone is read in the zone given, else as UTC, and the compile says which (bb3 D3: TZ Europe/Berlin read 1 h late)', () => {
  // The formats as the testers ran them (HAProxy 2.6, Apache 2.4).
  const haproxy = "global\n  log 127.0.0.1:18330 local0\n  pidfile /tmp/bb3/hap/haproxy.pid\ndefaults\n  mode http\n  log global\n  timeout connect 5s\n  timeout client 10s\n  timeout server 10s\nfrontend fe_custom\n  bind 127.0.0.1:18320 ssl crt /tmp/bb3/hap/srv-combined.pem ca-file /tmp/bb3/pki/ca.pem crl-file /tmp/bb3/pki/ca.crl verify optional\n  capture request header Authorization len 4096\n  capture request header User-Agent len 128\n  log-format \"%ci:%cp [%tr] %ft %ST %B %{+Q}r verify=%[ssl_c_verify] err=%[ssl_c_err] caerr=%[ssl_c_ca_err] used=%[ssl_c_used] dn=%{+Q}[ssl_c_s_dn] serial=%[ssl_c_serial,hex] x5t=%[ssl_c_der,sha2(256),hex] hdrs=%hr\"\n  http-request return status 200 content-type text/plain string \"ok\\n\"\nfrontend fe_b64\n  bind 127.0.0.1:18321 ssl crt /tmp/bb3/hap/srv-combined.pem ca-file /tmp/bb3/pki/ca.pem crl-file /tmp/bb3/pki/ca.crl verify optional ca-ignore-err all crt-ignore-err all\n  capture request header User-Agent len 128\n  capture request header Authorization len 1024\n  log-format \"[%t] %ST %HM %HU verify:%[ssl_c_verify] used:%[ssl_c_used] dn:%[ssl_c_s_dn] serial:%[ssl_c_serial,hex] sha:%[ssl_c_der,sha2(256),base64] %hr\"\n  http-request return status 200 content-type text/plain string \"ok\\n\"\nfrontend fe_httplog\n  bind 127.0.0.1:18322 ssl crt /tmp/bb3/hap/srv-combined.pem ca-file /tmp/bb3/pki/ca.pem crl-file /tmp/bb3/pki/ca.crl verify optional ca-ignore-err all crt-ignore-err all\n  option httplog\n  capture request header Authorization len 4096\n  http-request return status 200 content-type text/plain string \"ok\\n\"\nfrontend fe_notime\n  bind 127.0.0.1:18323 ssl crt /tmp/bb3/hap/srv-combined.pem ca-file /tmp/bb3/pki/ca.pem crl-file /tmp/bb3/pki/ca.crl verify optional\n  no log\n  log 127.0.0.1:18331 format rfc5424 local0\n  log 127.0.0.1:18332 local0\n  capture request header Authorization len 4096\n  log-format \"%ST %HM %HU verify=%[ssl_c_verify] used=%[ssl_c_used] x5t=%[ssl_c_der,sha2(256),hex] auth=%hr\"\n  http-request return status 200 content-type text/plain string \"ok\\n\"\n";
  const apache = "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\" \\\"%{SSL_CLIENT_VERIFY}x\\\" \\\"%{SSL_CLIENT_S_DN}x\\\" %{SSL_CLIENT_M_SERIAL}x \\\"%{Authorization}i\\\"\" a_combo\nLogFormat \"%{%Y-%m-%dT%H:%M:%S}t %a \\\"%r\\\" %>s %D verify=%{SSL_CLIENT_VERIFY}x dn=\\\"%{SSL_CLIENT_S_DN}x\\\" serial=%{SSL_CLIENT_M_SERIAL}x auth=\\\"%{Authorization}i\\\" cert=\\\"%{SSL_CLIENT_CERT}x\\\" ua=\\\"%{User-Agent}i\\\"\" a_pem\nLogFormat \"[%t] %{HTTPS}x %{Host}i %>s \\\"%r\\\" \\\"%{SSL_CLIENT_VERIFY}x\\\" \\\"%{SSL_CLIENT_CERT}x\\\" \\\"%{Authorization}i\\\" %T\" a_pem2\nLogFormat \"%t %>s \\\"%r\\\" %{SSL_CLIENT_VERIFY}x %{SSL_CLIENT_M_SERIAL}x %{Authorization}i %{SSL_CLIENT_S_DN}x\" a_unq\n";
  it.each([
    ['apache', apache, 'a_pem', "LogFormat 'a_pem' logs its time without a zone (%{%Y-%m-%dT%H:%M:%S}t): it is read as UTC, so on a gateway whose clock is not on UTC every time is off by its offset and a valid token can read expired; give the gateway's zone (--time-zone Europe/Berlin, or timeZone= on the API), or add %z to the strftime format, or log %t"],
    ['apache', apache, 'a_pem2', null],
    ['haproxy', haproxy, 'fe_custom', "log-format of frontend 'fe_custom' logs its time without a zone (%tr): it is read as UTC, so on a gateway whose clock is not on UTC every time is off by its offset and a valid token can read expired; give the gateway's zone (--time-zone Europe/Berlin, or timeZone= on the API), or log %trl, %Tl or %Ts instead"],
    ['haproxy', haproxy, 'fe_b64', "log-format of frontend 'fe_b64' logs its time without a zone (%t): it is read as UTC, so on a gateway whose clock is not on UTC every time is off by its offset and a valid token can read expired; give the gateway's zone (--time-zone Europe/Berlin, or timeZone= on the API), or log %trl, %Tl or %Ts instead"],
    ['haproxy', haproxy, 'fe_notime', "log-format of frontend 'fe_notime' logs no time: the syslog header's time is used (an RFC 3164 header has no zone: read as UTC; give the gateway's zone (--time-zone Europe/Berlin, or timeZone= on the API)), and a line without one is rejected"],
    ['nginx', NGINX_MAIN, 'main', null],
  ] as const)('%s %s', (gateway, config, name, warning) => {
    const zone = compileGatewayLogFormat({ gateway, config, logFormat: name }).warnings.filter((w) => /zone/.test(w));
    expect(zone).toEqual(warning ? [warning] : []);
  });

  it.each([
    ['apache', apache, 'a_pem', "LogFormat 'a_pem' logs its time without a zone (%{%Y-%m-%dT%H:%M:%S}t): it is read in Europe/Berlin, the time zone given; add %z to the strftime format, or log %t"],
    ['apache', apache, 'a_pem2', null],
    ['haproxy', haproxy, 'fe_custom', "log-format of frontend 'fe_custom' logs its time without a zone (%tr): it is read in Europe/Berlin, the time zone given; log %trl, %Tl or %Ts instead"],
    ['haproxy', haproxy, 'fe_notime', "log-format of frontend 'fe_notime' logs no time: the syslog header's time is used (an RFC 3164 header has no zone: read in Europe/Berlin, the time zone given), and a line without one is rejected"],
  ] as const)('with a time zone given: %s %s names it', (gateway, config, name, warning) => {
    const zone = compileGatewayLogFormat({ gateway, config, logFormat: name, timeZone: 'Europe/Berlin' }).warnings.filter((w) => /zone/.test(w));
    expect(zone).toEqual(warning ? [warning] : []);
  });
});

describe('a format that logs the certificate but not the verify result warns (bb3 D5)', () => {
  // As the testers ran it: the verify result only through a map, which says 0 for any failure.
  const config = `http {
  map $ssl_client_verify $mtls_ok { SUCCESS 1; default 0; }
  map $http_authorization $authz_kind { "~*^bearer " bearer; "~*^dpop " dpop; "" none; default other; }
  log_format f_reorder '$time_iso8601 $remote_addr "$request" $status rt=$request_time verify=$ssl_client_verify serial=$ssl_client_serial dn="$ssl_client_s_dn_legacy" auth="$http_authorization" cert="$ssl_client_escaped_cert"';
  log_format f_map '[$time_local] $status "$request" mtls=$mtls_ok kind=$authz_kind cert="$ssl_client_escaped_cert" auth="$http_authorization" ua="$http_user_agent"';
}`;
  it('f_map: the warning names the map; f_reorder, which logs $ssl_client_verify, has none', () => {
    expect(compileGatewayLogFormat({ gateway: 'nginx', config, logFormat: 'f_map' }).warnings).toContain(
      "log_format 'f_map' logs the client certificate but not the gateway's verify result ($mtls_ok only maps it to values that do not say how it failed): a certificate that failed verification (revoked, expired, untrusted) cannot be told from a valid one, so certificate failures are not judged; log $ssl_client_verify",
    );
    expect(compileGatewayLogFormat({ gateway: 'nginx', config, logFormat: 'f_reorder' }).warnings.join('\n')).not.toMatch(/verify result/);
  });
});

describe('HAProxy lines', () => {
  const config = `frontend fe
  bind :443 ssl crt x.pem verify optional ca-file ca.crt crt-ignore-err all ca-ignore-err all
  capture request header Host len 64
  http-request capture req.hdr(X-Request-ID) len 64
  capture request header Authorization len 1024
  log-format "%ci:%cp [%tr] %ft %ST %{+Q}r %hr a=%{+Q}[capture.req.hdr(2)] e=%{+E}[capture.req.hdr(1)] v=%[ssl_c_verify] err=%[ssl_c_err] ca=%[ssl_c_ca_err] u=%[ssl_c_used] s=%{+Q}[ssl_c_s_dn]"`;

  it('captures numbered in declaration order whatever their kind; %hr split, #XX decoded; +Q quotes not escaped', () => {
    const e = event('haproxy', config, '127.0.0.1:1 [04/Dec/2026:10:22:49.721] fe~ 200 "GET /p?q=#22x#22 HTTP/1.1" {api.test|rid-1|Bearer a#7Cb} a="Bearer a|b "z"" e=rid-\\"1\\] v=0 err=0 ca=0 u=1 s="/O=Test/CN=svc-a"');
    expect(e).toMatchObject({ host: 'api.test', correlationId: 'rid-1', url: 'https://api.test/p?q="x"', authScheme: 'Bearer', cert: { verify: 'SUCCESS', subjectDn: 'CN=svc-a,O=Test' } });
    expect(e.occurredAt.toISOString()).toBe('2026-12-04T10:22:49.721Z');
    expect(e.tokenFingerprint).toBe(event('haproxy', config, '127.0.0.1:1 [04/Dec/2026:10:22:49.721] fe~ 200 "GET / HTTP/1.1" {h|r|Bearer a#7Cb} a="-" e=- v=0 err=0 ca=0 u=0 s=""').tokenFingerprint);
    expect(e.redactedRaw).toContain('{api.test|rid-1|Bearer [redacted]}');
    expect(e.redactedRaw).toContain('a="Bearer [redacted]"');
  });

  it.each([
    // ssl_c_verify is the last error: the certificate's own (ssl_c_err) or its chain's tell more.
    ['revoked', 'v=23 err=23 ca=0 u=1', 'FAILED:certificate revoked', 'cert_revoked'],
    ['expired', 'v=10 err=10 ca=0 u=1', 'FAILED:certificate has expired', 'cert_expired'],
    ['not yet valid', 'v=9 err=9 ca=0 u=1', 'FAILED:certificate is not yet valid', 'cert_expired'],
    ['untrusted (verify says 21)', 'v=21 err=20 ca=0 u=1', 'FAILED:unable to get local issuer certificate', 'cert_untrusted'],
    ['self-signed with a CRL (verify says 3)', 'v=3 err=18 ca=0 u=1', 'FAILED:self-signed certificate', 'cert_untrusted'],
    ['revoked CA in the chain, last error something else', 'v=2 err=0 ca=23 u=1', 'FAILED:certificate revoked', 'cert_revoked'],
    ['an error number OpenSSL may add later', 'v=95 err=95 ca=0 u=1', 'FAILED:X509_V_ERR 95', 'cert_untrusted'],
    ['no certificate', 'v=0 err=0 ca=0 u=0', 'NONE', null],
  ])('%s', (_n, codes, verify, verdict) => {
    const e = event('haproxy', config, `127.0.0.1:1 [04/Dec/2026:10:22:49.721] fe~ 200 "GET / HTTP/1.1" {h|r|-} a="-" e=- ${codes} s="/CN=x"`);
    expect(e.cert?.verify).toBe(verify);
    expect(e.sourceVerdict?.verdict ?? null).toBe(verdict);
  });

  it('a syslog header is skipped and its time used when the format logs none; HAProxy service lines skipped', () => {
    const c = 'frontend fe\n  log-format "%ST %[ssl_c_err] %[ssl_c_used]"';
    const e = event('haproxy', c, '<134>Dec  4 10:24:55 localhost haproxy[6574]: 403 23 1');
    expect(e.occurredAt.toISOString()).toBe('2026-12-04T10:24:55.000Z');
    expect(e.sourceVerdict?.verdict).toBe('cert_revoked');
    for (const l of ['127.0.0.1:49990 [04/Dec/2026:10:47:58.245] fe/1: SSL handshake failure', 'Proxy fe stopped (cumulated conns: FE: 2, BE: 0).', '[WARNING]  (22693) : Proxy fe stopped (cumulated conns: FE: 2, BE: 0).']) {
      expect(parse('haproxy', c, l), l).toEqual({ kind: 'skip', reason: 'service_line' });
    }
    expect(parse('haproxy', c, '403 23')).toMatchObject({ kind: 'error', reason: 'unrecognized_line' });
  });

  it('the token fingerprint and scheme HAProxy computes itself; the raw token never logged', () => {
    const c = `frontend fe
  http-request capture req.hdr(Authorization),word(1,' ') len 16
  http-request capture req.hdr(Authorization),word(2,' '),sha2(256),ub64enc len 64
  log-format "%Ts %ST %[capture.req.hdr(0)] %[capture.req.hdr(1)] x5t=%[ssl_c_der,sha2(256),ub64enc] der=%[ssl_c_der,base64]"`;
    const e = event('haproxy', c, '1796379770 200 Bearer 67MSe_XHxLTkK1FxD0lGwcHQWzMdI3ndFeOlQx7ZNBY x5t=- der=-');
    expect(e).toMatchObject({ authScheme: 'Bearer', tokenFingerprint: '67MSe_XHxLTkK1FxD0lGwcHQWzMdI3ndFeOlQx7ZNBY', httpStatus: 200 });
    expect(compileGatewayLogFormat({ gateway: 'haproxy', config: c }).warnings).toEqual([
      expect.stringContaining('lines longer than 1024 bytes are cut by HAProxy; add "len 16384" to the log line'),
      expect.stringContaining("logs the client certificate but not the gateway's verify result"),
      expect.stringContaining('logs neither the DPoP header nor its presence: requests with DPoP-bound tokens are not judged (reason proof_not_logged)'),
    ]);
  });

  it('an Authorization capture too short for a JWT is named: HAProxy would read every longer token as its first bytes', () => {
    const c = (len: number) => `frontend fe
  log 127.0.0.1:514 len 16384 local0
  option httplog
  capture request header Authorization len ${len}`;
    expect(compileGatewayLogFormat({ gateway: 'haproxy', config: c(100) }).warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('the Authorization capture keeps 100 bytes: longer tokens are cut and read as one')]),
    );
    expect(compileGatewayLogFormat({ gateway: 'haproxy', config: c(8192) }).warnings.join('\n')).not.toMatch(/Authorization capture keeps/);
  });

  it('a field the format lacks is unknown, not empty: no certificate facts, no DPoP presence (HAProxy option httplog with the token captured)', () => {
    const c = `frontend fe
  log 127.0.0.1:514 len 16384 local0
  option httplog
  http-request capture req.hdr(Authorization),word(1,' ') len 16
  http-request capture req.hdr(Authorization),word(2,' '),sha2(256),ub64enc len 64`;
    const compiled = compileGatewayLogFormat({ gateway: 'haproxy', config: c });
    expect(compiled.warnings).toEqual(expect.arrayContaining([
      expect.stringContaining('logs nothing that says whether a client certificate was presented: requests with certificate-bound tokens are not judged'),
      expect.stringContaining('logs neither the DPoP header nor its presence'),
    ]));
    const e = event('haproxy', c, '127.0.0.1:40000 [04/Dec/2026:10:24:55.123] fe be/s1 0/0/0/1/1 200 10 - - ---- 1/1/0/0/0 0/0 {Bearer|67MSe_XHxLTkK1FxD0lGwcHQWzMdI3ndFeOlQx7ZNBY} "GET /x HTTP/1.1"');
    expect(e).toMatchObject({ cert: null, notLogged: { certificate: true, dpop: true }, tokenFingerprint: '67MSe_XHxLTkK1FxD0lGwcHQWzMdI3ndFeOlQx7ZNBY' });
    // A format that logs the verify result says "none presented" when there was none.
    expect(event('nginx', `log_format m '$time_iso8601 $status "$ssl_client_verify" "$http_dpop"';`, '2026-12-04T10:24:55+00:00 200 "NONE" "-"').notLogged).toBeUndefined();
  });

  it('certificate fetches as the real haproxy 2.6 printed them: ssl_c_der,base64, ssl_c_der,sha2(256),hex, ssl_c_notafter, rfc2253 DN', () => {
    const c = 'frontend fe\n  log-format "%T s=%{+Q}[ssl_c_s_dn(,0,rfc2253)] b=%[ssl_c_der,base64] na=%[ssl_c_notafter] sha=%[ssl_c_der,sha2(256),hex]"';
    const der = 'MIIBpjCCAUygAwIBAgICEAAwCgYIKoZIzj0EAwIwKDEXMBUGA1UEAwwOVGVzdCBDbGllbnQgQ0ExDTALBgNVBAoMBFRlc3QwHhcNMjYxMjA0MTAyMTI1WhcNMjcxMjA0MTAyMTI1WjAfMQ0wCwYDVQQKDARUZXN0MQ4wDAYDVQQDDAVzdmMtYTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIsu9jIFyOCncqUp2DsdoCUFs4p0A1562jTrygdanBdcvqT2lzyBnC0ufy7umgFi+KoT7NzQS4F0M/NN1dSImfCjbzBtMAkGA1UdEwQCMAAwCwYDVR0PBAQDAgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMCMB0GA1UdDgQWBBTJBNFcDXFXQYf/6zM7+VVPM0zt8zAfBgNVHSMEGDAWgBQdxjT1u5BPPkWUzKgy2gq7mKy6EjAKBggqhkjOPQQDAgNIADBFAiEAyF68QgYKS+ksAFXA8/BW6ggtHSj17tjJIbW4FV3twtgCIAzuJ66GWjW6rBLfaAaUaYvNWRQJAxJ7buNQD0H0lXvm';
    const e = event('haproxy', c, `04/Dec/2026:10:24:55 +0000 s="CN=svc-a,O=Test" b=${der} na=271204102125Z sha=7AA2278C4FAAEC0E15295C1865EE262D4271F664813AB98022E2B9D936BE0998`);
    expect(e.cert).toMatchObject({ subjectDn: 'CN=svc-a,O=Test', x5tS256: 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg', notAfter: new Date('2027-12-04T10:21:25Z'), serial: '1000' });
    // The SHA-256 HAProxy printed in hex is the same x5t#S256.
    const hexOnly = event('haproxy', c, '04/Dec/2026:10:24:55 +0000 s="-" b=- na=- sha=7AA2278C4FAAEC0E15295C1865EE262D4271F664813AB98022E2B9D936BE0998');
    expect(hexOnly.cert?.x5tS256).toBe('eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg');
  });

  it('%{+Q}hr (a line the real haproxy 2.6 wrote): the capture block comes quoted, "{Bearer …}", and is read, not refused', () => {
    const c = `frontend fe_https
  bind 127.0.0.1:18102 ssl crt srv.pem ca-file ca.pem verify optional
  capture request header Authorization len 8192
  log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %{+Q}r id=%ID verify=%[ssl_c_verify] used=%[ssl_c_used] dn=%{+Q}[ssl_c_s_dn] x5t=%[ssl_c_der,sha2(256),ub64enc] auth=%{+Q}hr"`;
    const line = '127.0.0.1:49110 [06/Dec/2026:04:47:43.976] fe_https~ be_apache/a1 0/0/3/2/5 200 194 ---- "GET /api/hapOwner/good HTTP/1.1" id=7F000001:BFD6_7F000001:46B6_6B14E8EF_0000:30CE verify=0 used=1 dn="/CN=clientA/O=BB1" x5t=TfQmqrq0pP2FktXP3n8C_XYcl5Z1X9qo7fkxTOcyxdw auth="{Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJzdmMtYSIsImNsaWVudF9pZCI6InN2Yy1hIiwiYXVkIjoiYXBpIiwiY25mIjp7Ing1dCNTMjU2IjoiVGZRbXFycTBwUDJGa3RYUDNuOENfWFljbDVaMVg5cW83Zmt4VE9jeXhkdyJ9LCJpc3MiOiJodHRwczovL2FzLmJiMS50ZXN0IiwiaWF0IjoxNzk2NTMyMzgyLCJleHAiOjE3OTY1Mzk1ODIsImp0aSI6ImZmZjQyOTdiLWIyNDAtNDgwZi1iYzI5LWZhMjFmNGEyM2ZmMSJ9.ZfV2RDwO5pO8UF_8PjIujix05XqgEyzio0sRnMDKatjOMe4-vP9Lvzjze6t4e9gviWz5wH66PGwZAc0ss73z9LeTYikGRysN0EiOpPvqsDQnt7TGka6R25pzKtMgrDobpPVlPi23znG26eLFJA8nBlikqATbrisYEqv4IxUY4OgrZY15Hpdbx0ZyVFaCgdtfSP-hCXRgJX2TgNYilqw0kNahUZDVP8wMoWye5i-EIgmsUEhQglWuJTKqNoC3fX6wzZpH00fu1RLpnjGF9RseCoSTjOXrCntgihL3wFQgza654sadQP3Yb3b-G4BsNGX7KaRBCyUqQY2TGK3ICFPrnQ}"';
    const e = event('haproxy', c, line);
    expect(e).toMatchObject({ authScheme: 'Bearer', tokenFingerprint: '6KIzefLMpoOlbQrSh8ZM_ZlJyg0ntRw302sL8OyZ0bw', httpStatus: 200, url: '/api/hapOwner/good' });
    expect(e.redactedRaw).toMatch(/auth="\{Bearer \[redacted\]\}"$/);
    // Unquoted where the format quotes it: not this format's line.
    expect(parse('haproxy', c, line.replace('auth="{', 'auth={').replace(/}"$/, '}'))).toMatchObject({ kind: 'error', reason: 'unrecognized_line' });
  });

  it('a frontend whose every bind has ssl serves https: with the captured Host, the full URL a DPoP proof\'s htu is compared with', () => {
    const cfg = (bind: string) => `frontend owner_a
  mode http
${bind}
  log stdout len 16384 format raw local0
  option httplog
  capture request header Host len 64
  capture request header Authorization len 4096
  capture request header DPoP len 4096
  default_backend app`;
    const line = '127.0.0.1:52974 [06/Dec/2026:04:48:11.098] owner_a~ app/s1 0/0/0/0/0 200 183 - - ---- 1/1/0/0/0 0/0 {127.0.0.1:18211|DPoP eyJhbGciOiJSUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6ImtleXN0b3JlLUNIQU5HRS1NRSJ9.eyJqdGkiOiJyQUZuQlM3bmtfbUpkT3d1WGhuTmJGWVRVc1ZwQXVaYnVwVlhiTjNqVldHIiwic3ViIjoiZHBvcC1jbGllbnQiLCJpYXQiOjE3OTY1MzI0ODQsImV4cCI6MTc5NjUzMzM4NCwic2NvcGUiOiJhcGk6cmVhZCIsImNsaWVudF9pZCI6ImRwb3AtY2xpZW50IiwiaXNzIjoiaHR0cDovLzEyNy4wLjAuMToxODIwMCIsImF1ZCI6Imh0dHBzOi8vYXBpLmJiMi5leGFtcGxlIiwiY25mIjp7ImprdCI6Ild3TjVvZTR2WUVqbFFMNG5OY09iU2ZYZlZId1JSU0xYaE5aQ1htVHRTRXcifX0.H94cNDllfcRYMTYqdnA8iE6Ij3AtJfk5XmxQv4WeIwR88wJDqC38XCnJlvD2oIB4vqrqPQXKl84dp92Bn9_gPwJUfAl5N2tCzjlI-M8shvpeiQpjLqa1Ommy_sKYtm4cXKes0ZshHQ_PqYq4TsjhY1iSEGTyFO5ZnOELKeqdpQFBX4J1YFA8puTfpi-jSu254L4jB0C6tWnC0JBDDgrWSDPqhu3jZ99FGdnVaOPXLUHFiBmaKwV_vjwNsVk0dCI3Re99ODPQTdauPtXaID63lorPTGLt1bwlYjNf0y_GB_TNB0WHQ9JpJ5tPOcbXwo6TPpzFctvZHFFjBuBr33yPGw|eyJhbGciOiJFUzI1NiIsInR5cCI6ImRwb3Arand0IiwiandrIjp7Imt0eSI6IkVDIiwieCI6InNGX3NnZVFtd2R2UGpPZVVLVU5ZWnZTWk54Nm9PejZPaXVwTGhuSFU2eDQiLCJ5IjoiV1VCZjVEa3NHaVFybEgzY3NXTl9lOHpMTVRWVVc4UzNnR09oTFZ4MFEtcyIsImNydiI6IlAtMjU2In19.eyJqdGkiOiIzOGJjYzMyNC1kZTc1LTRlZDEtOGVlMi1iNDBlOGQyODI4MWQiLCJodG0iOiJHRVQiLCJodHUiOiJodHRwczovLzEyNy4wLjAuMTo5OTk5L2xheC9jMDYtaHR1LW90aGVyLXBvcnQiLCJpYXQiOjE3OTY1MzI0OTEsImF0aCI6IlZkMlItZDcyMUlsSG5rb2dCQTI0dms5R2Q4dG9zZmthVVRVTktTZGF2aUkifQ.c9dRFiaI6DfeBT271hJLIHh8G9zvf8soROq0z5DWD99O416fG2qaoHbLGMP70_qie90PoXMpbtExAIiVHWkDwg} "GET /lax/c06-htu-other-port HTTP/1.1"';
    const tls = cfg('  bind 127.0.0.1:18211 ssl crt /tmp/bb2/pki/srv-full.pem');
    expect(event('haproxy', tls, line)).toMatchObject({ url: 'https://127.0.0.1:18211/lax/c06-htu-other-port', host: '127.0.0.1:18211' });
    expect(compileGatewayLogFormat({ gateway: 'haproxy', config: tls }).warnings.join('\n')).not.toMatch(/htu/);
    // One bind without ssl: the scheme is not known, and the warning names only what is missing.
    const mixed = cfg('  bind 127.0.0.1:18211 ssl crt /tmp/bb2/pki/srv-full.pem\n  bind 127.0.0.1:8080');
    expect(event('haproxy', mixed, line).url).toBe('/lax/c06-htu-other-port');
    expect(compileGatewayLogFormat({ gateway: 'haproxy', config: mixed }).warnings).toContain(
      "log-format of frontend 'owner_a' logs no scheme: a DPoP proof's htu is compared with the request's path only",
    );
    // %[ssl_fc] logged: 1 is https, 0 http, whatever the binds.
    const fc = `frontend fe\n  bind :443 ssl crt x.pem\n  bind :80\n  log-format "%Ts %ST %[ssl_fc] %[req.hdr(Host)] %{+Q}r %[req.hdr(DPoP)]"`;
    expect(event('haproxy', fc, '1796379770 200 0 api.test "GET /a HTTP/1.1" -').url).toBe('http://api.test/a');
    expect(event('haproxy', fc, '1796379770 200 1 api.test "GET /a HTTP/1.1" -').url).toBe('https://api.test/a');
  });

  it('several frontends logging to one file: a line of another frontend is skipped (other_frontend), not rejected (bb3 §4)', () => {
    const cfg = `frontend fe_custom
  bind 127.0.0.1:18320 ssl crt srv.pem ca-file ca.pem verify optional
  capture request header Authorization len 4096
  log-format "%ci:%cp [%tr] %ft %ST %B %{+Q}r verify=%[ssl_c_verify] err=%[ssl_c_err] caerr=%[ssl_c_ca_err] used=%[ssl_c_used] dn=%{+Q}[ssl_c_s_dn] serial=%[ssl_c_serial,hex] x5t=%[ssl_c_der,sha2(256),hex] hdrs=%hr"
frontend fe_httplog
  bind 127.0.0.1:18322 ssl crt srv.pem ca-file ca.pem verify optional ca-ignore-err all crt-ignore-err all
  option httplog
  capture request header Authorization len 4096`;
    // As HAProxy 2.6 sent it to syslog, fe_httplog's line in the file fe_custom logs to.
    const other = "<134>Dec  6 05:55:32 haproxy[23875]: 127.0.0.1:52552 [06/Dec/2026:05:55:32.796] fe_httplog~ fe_httplog/<NOSRV> 0/-1/-1/-1/0 200 74 - - LR-- 1/1/0/0/0 0/0 {Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJzdmMtZ29vZCIsImNsaWVudF9pZCI6InN2Yy1nb29kIiwic2NvcGUiOiJhcGkiLCJjbmYiOnsieDV0I1MyNTYiOiJBblBKckNuenR1RS05WnlmUWlHNWg0cGJpRGgzSVFjMjF6cmQ1WThrLU9JIn0sImlzcyI6Imh0dHBzOi8vYXMuYmIzLnRlc3QiLCJhdWQiOiJodHRwczovL2FwaS5iYjMudGVzdCIsImlhdCI6MTc5NjUzMjMyNCwiZXhwIjoxNzk2NTM5NTg0LCJqdGkiOiJiYjMtc3ZjLWdvb2QteGw0ZGx2In0.gVnRzpEOSflhTqU-Jf5muSj4OqvnS2ZlYW1djpIZcvmQxPnDIJEnXQr22_qTK57hPBDDZIdibkQ_3drSQLpOLA} \"GET /api/items?case=good HTTP/1.1\"";
    expect(parse('haproxy', cfg, other, 'fe_custom')).toEqual({ kind: 'skip', reason: 'other_frontend' });
    expect(parse('haproxy', cfg, other, 'fe_httplog')).toMatchObject({ kind: 'event' });
    // A line of no frontend is still rejected.
    expect(parse('haproxy', cfg, other.replace('fe_httplog/<NOSRV> ', ''), 'fe_custom')).toMatchObject({ kind: 'error', reason: 'unrecognized_line' });
  });

  it('option httplog clf (a line the real haproxy 2.6 wrote): +Q from %{+Q}o on, -Q for the client address, the trailing separator', () => {
    const c = 'frontend fe5\n  capture request header Authorization len 512\n  option httplog clf';
    const line = '127.0.0.1 - - [04/Dec/2026:10:52:55 +0000] "GET /x HTTP/1.1" 200 73 "" "" 57672 434 "fe5" "fe5" "<NOSRV>" 0 -1 -1 -1 0 LR-- 1 1 0 0 0 0 0 "" "" "Bearer t0k" ';
    for (const l of [line, line.trimEnd()]) {
      expect(event('haproxy', c, l)).toMatchObject({ clientIp: '127.0.0.1', httpStatus: 200, url: '/x', authScheme: 'Bearer' });
    }
  });
});

describe("Holdfast's own formats, read as bring-your-own", () => {
  const keyFacts = (r: ParseResult) => {
    if (r.kind !== 'event') throw new Error(JSON.stringify(r));
    const e = r.event;
    return { at: e.occurredAt.toISOString(), status: e.httpStatus, method: e.method, url: e.url, ip: e.clientIp, rid: e.requestId, scheme: e.authScheme, dpop: e.hasDpop, cert: e.cert, verdict: e.sourceVerdict };
  };

  it.each([
    ['nginx-json', `${NGINX_AUTH_MAPS}\n${NGINX_JSON_LOG_FORMAT}`, S.NGINX_JSON_REAL],
    ['nginx-combined', `${NGINX_AUTH_MAPS}\n${NGINX_COMBINED_LOG_FORMAT}`, S.NGINX_COMBINED_FULL],
  ] as const)('%s: the log_format compiled from its own text reads its lines to the same facts as its parser', (format, config, line) => {
    const compiled = parse('nginx', config, line);
    expect(keyFacts(compiled)).toEqual(keyFacts(PARSERS[format].parseLine(line, createParseContext())));
  });

  it('the recommended njs configuration: token fingerprint, claims and cnf computed in NGINX read into the event', () => {
    const config = nginxNjsHttpConfig({ njsPath: '/etc/nginx/holdfast.js' });
    const line = JSON.stringify({
      time: '2026-12-04T10:00:00+00:00', request_id: 'r1', correlation_id: 'c1', remote_addr: '10.0.0.1', method: 'GET', scheme: 'https', host: 'api.test', uri: '/a', status: 200,
      ssl_client_verify: 'SUCCESS', ssl_client_s_dn: 'CN=svc-a,O=Test', ssl_client_i_dn: 'CN=CA', ssl_client_serial: '1000', ssl_client_fingerprint: 'c5495c3a5a9f60d05a19132335907cef94ceb34e',
      ssl_client_v_start: '', ssl_client_v_end: '', ssl_client_x5t: 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg', authz_scheme: 'Bearer', has_dpop: '0',
      token_sha256: 'tok-fp', token_client_id: 'svc-a', token_sub: 'svc-a', token_exp: '1800000000', cnf_jkt: '', cnf_x5t: 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg',
    });
    const e = event('nginx', config, line);
    expect(e).toMatchObject({
      url: 'https://api.test/a', correlationId: 'c1', tokenFingerprint: 'tok-fp', authScheme: 'Bearer', hasDpop: false, identityHint: 'svc-a',
      tokenClaims: { client_id: 'svc-a', sub: 'svc-a', exp: 1800000000, cnf: { 'x5t#S256': 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg' } },
      cert: { x5tS256: 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg' },
    });
  });

  it('the recommended HAProxy frontend: set-var variables, jwt_payload_query claims and hdr_cnt(DPoP) resolved', () => {
    const config = haproxyFrontend({ bind: ':443', crtFile: 'x.pem', caFile: 'ca.crt', crlFile: 'crl.pem', logTarget: 'stdout', backend: 'app' });
    const c = compileGatewayLogFormat({ gateway: 'haproxy', config });
    // %trl is HAProxy's local time with its offset: no warning of a time without a zone.
    expect(c.warnings).toEqual([]);
    expect(c.fields).toEqual(expect.arrayContaining(['auth_scheme', 'token_fingerprint', 'token_client_id', 'token_sub', 'token_exp', 'cnf_jkt', 'cnf_x5t', 'has_dpop', 'cert_x5t', 'tls_err_code', 'correlation_id']));
    const line = '10.0.0.1 [04/Dec/2026:11:22:49 +0100] 5b1d HTTP/1.1 GET /a HTTP/1.1 200 ssl_c_used=1 ssl_c_verify=0 ssl_c_err=0 ssl_c_ca_err=0 ssl_c_s_dn="/O=Test/CN=svc-a" ssl_c_i_dn="/CN=CA" ssl_c_serial=1000 ssl_c_sha1=C5495C3A5A9F60D05A19132335907CEF94CEB34E x5t=eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg scheme=DPoP token_sha256=tok-fp client_id=svc-a sub=svc-a exp=1800000000 cnf_jkt=jkt-1 cnf_x5t=- has_dpop=1 x_request_id="rid-1"';
    expect(event('haproxy', config, line.replace('5b1d HTTP/1.1 GET /a HTTP/1.1', '5b1d GET /a HTTP/1.1'))).toMatchObject({
      occurredAt: new Date('2026-12-04T10:22:49Z'), requestId: '5b1d', authScheme: 'DPoP', tokenFingerprint: 'tok-fp', hasDpop: true, jkt: 'jkt-1', correlationId: 'rid-1',
      tokenClaims: { client_id: 'svc-a', exp: 1800000000, cnf: { jkt: 'jkt-1' } },
      cert: { verify: 'SUCCESS', subjectDn: 'CN=svc-a,O=Test', x5tS256: 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg' },
    });
  });

  describe('a HAProxy format that logs one cnf member of the token but not the other', () => {
    const full = haproxyFrontend({ bind: ':443', crtFile: 'x.pem', caFile: 'ca.crt', crlFile: 'crl.pem', logTarget: 'stdout', backend: 'app' });
    const withoutJkt = full.replace(/ cnf_jkt=%\[[^\]]*\]/, '');
    const withoutX5t = full.replace(/ cnf_x5t=%\[[^\]]*\]/, '');
    const line = (cnfX5t: string) =>
      `10.0.0.1 [04/Dec/2026:11:22:49 +0100] 5b1d GET /a HTTP/1.1 200 ssl_c_used=0 ssl_c_verify=0 ssl_c_err=0 ssl_c_ca_err=0 ssl_c_s_dn="" ssl_c_i_dn="" ssl_c_serial= ssl_c_sha1= x5t= scheme=DPoP token_sha256=tok-fp client_id=svc-a sub=svc-a exp=1800000000 cnf_x5t=${cnfX5t} has_dpop=1 x_request_id="rid-1"`;

    it.each([
      ['cnf.x5t#S256 without cnf.jkt', () => withoutJkt, "log-format of frontend 'holdfast_edge' logs the token's cnf.x5t#S256 but not cnf.jkt: a token whose cnf.x5t#S256 is empty may be bound by cnf.jkt, so its binding is left unknown (not bearer)"],
      ['cnf.jkt without cnf.x5t#S256', () => withoutX5t, "log-format of frontend 'holdfast_edge' logs the token's cnf.jkt but not cnf.x5t#S256: a token whose cnf.jkt is empty may be bound by cnf.x5t#S256, so its binding is left unknown (not bearer)"],
    ])('compile warns: %s', (_name, config, warning) => {
      expect(compileGatewayLogFormat({ gateway: 'haproxy', config: config() }).warnings).toEqual([warning]);
    });

    it('an empty cnf.x5t#S256 leaves the binding unknown (notLogged.cnf): the claims carry no cnf and say nothing of jkt', () => {
      const e = event('haproxy', withoutJkt, line('-'));
      expect(e).toMatchObject({ tokenClaims: { client_id: 'svc-a', sub: 'svc-a', exp: 1800000000 }, notLogged: { cnf: true } });
      expect(e.tokenClaims).not.toHaveProperty('cnf');
    });

    it('a logged cnf.x5t#S256 binds the token: the binding is known, notLogged.cnf is not set', () => {
      const e = event('haproxy', withoutJkt, line('eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg'));
      expect(e.tokenClaims).toMatchObject({ cnf: { 'x5t#S256': 'eqInjE-q7A4VKVwYZe4mLUJx9mSBOrmAIuK52Ta-CZg' } });
      expect(e.notLogged?.cnf).toBeUndefined();
    });

    it('a format logging the claims but neither cnf member warns, and leaves every token\'s binding unknown', () => {
      const neither = full.replace(/ cnf_(jkt|x5t)=%\[[^\]]*\]/g, '');
      expect(compileGatewayLogFormat({ gateway: 'haproxy', config: neither }).warnings).toEqual([
        "log-format of frontend 'holdfast_edge' logs the token's claims but neither cnf.x5t#S256 nor cnf.jkt: whether a token is bound is unknown, so no token is stored bearer from this log",
      ]);
      const e = event('haproxy', neither, line('-').replace(' cnf_x5t=-', ''));
      expect(e).toMatchObject({ tokenClaims: { client_id: 'svc-a', sub: 'svc-a', exp: 1800000000 }, notLogged: { cnf: true } });
    });

    it('the recommended frontend logs both: no warning, an empty cnf is an unbound token', () => {
      const e = event('haproxy', full, line('-').replace(' cnf_x5t=-', ' cnf_jkt=- cnf_x5t=-'));
      expect(e.notLogged?.cnf).toBeUndefined();
    });
  });

  it('the recommended Apache configuration: SetEnvIf scheme, DPoP presence and the token\'s claims, the PEM', () => {
    const config = apacheLogConfig({ logFile: '/var/log/apache2/holdfast.log' });
    const claims = Buffer.from(JSON.stringify({ client_id: 'svc-a', exp: 1_800_000_000, cnf: { jkt: 'j' } })).toString('base64url');
    const line = `2026-12-04T10:22:01+0000 10.0.0.1 "GET /a HTTP/1.1" 200 X1d2 "rid-1" "SUCCESS" "CN=svc-a,O=Test" "CN=CA" 1000 "Dec  4 10:21:25 2026 GMT" "Dec  4 10:21:25 2027 GMT" DPoP 1 ${claims} "-"`;
    const e = event('apache', config, line);
    expect(e).toMatchObject({
      occurredAt: new Date('2026-12-04T10:22:01Z'), requestId: 'X1d2', correlationId: 'rid-1', authScheme: 'DPoP', hasDpop: true,
      cert: { verify: 'SUCCESS', serial: '1000', notAfter: new Date('2027-12-04T10:21:25Z') },
      tokenClaims: { client_id: 'svc-a', exp: 1_800_000_000, cnf: { jkt: 'j' } }, tokenFingerprint: null, identityHint: 'svc-a',
    });
    expect(e.redactedRaw).not.toContain(claims);
    // An opaque token has no payload segment: nothing is set.
    expect(event('apache', config, line.replace(` ${claims} `, ' - ')).tokenClaims).toBeNull();
  });
});
