// openParseStream with a gateway configuration: the options, and the one-line refusals the CLI
// (exit 2) and the API (422) pass on.
import { describe, expect, it } from 'vitest';
import { openParseStream, type ParsedLine } from '../parse-stream.ts';
import { PARSERS } from '../registry.ts';
import { createParseContext } from '../types.ts';

const NGINX = `http {
  log_format mtls '$time_iso8601 $status "$request" $ssl_client_verify "$ssl_client_s_dn" $http_x_api_key';
  access_log /var/log/nginx/mtls.log mtls;
}`;
const LINES = [
  '2026-12-04T10:22:00+00:00 200 "GET /a HTTP/1.1" SUCCESS "CN=svc-a,O=Test" k-secret-1',
  '2026-12-04T10:22:01+00:00 4o0 "GET /b HTTP/1.1" SUCCESS "CN=svc-a,O=Test" -',
  '',
  '2026-12-04T10:22:02+00:00 400 "GET /c HTTP/1.1" FAILED:certificate revoked "CN=svc-b,O=Test" -',
];

async function all(lines: string[], opts: Parameters<typeof openParseStream>[1]): Promise<ParsedLine[]> {
  const s = await openParseStream([Buffer.from(lines.join('\n') + '\n')], opts);
  const out: ParsedLine[] = [];
  for await (const r of s.results) out.push(r);
  return out;
}

describe('openParseStream with --gateway-config', () => {
  it('reads lines in the configured format; an unparseable line is rejected by itself, naming the field', async () => {
    const out = await all(LINES, { format: 'nginx', gatewayConfig: NGINX });
    expect(out.map((r) => [r.lineNo, r.result.kind])).toEqual([[1, 'event'], [2, 'error'], [3, 'skip'], [4, 'event']]);
    expect(out[1]!.result).toMatchObject({ reason: 'unrecognized_line', message: expect.stringMatching(/^does not match log_format 'mtls': \$status does not fit/) });
    expect(out[3]!.result).toMatchObject({ event: { format: 'nginx', httpStatus: 400, sourceVerdict: { verdict: 'cert_revoked' } } });
    // A label named like a credential (an API key header) is not kept.
    expect(out[0]!.result).toMatchObject({ event: { labels: { http_x_api_key: '[redacted]' } } });
    expect(JSON.stringify(out)).not.toContain('k-secret-1');
  });

  it('tells the caller what it compiled (name, fields, warnings)', async () => {
    const s = await openParseStream([Buffer.from('')], { format: 'nginx', gatewayConfig: NGINX });
    expect(s.compiled).toMatchObject({ gateway: 'nginx', name: 'mtls', names: ['mtls'] });
    expect(s.compiled?.warnings).toEqual([expect.stringContaining('logs nothing of the token'), expect.stringContaining('no certificate fingerprint or PEM')]);
  });

  it('infers the gateway from the configuration when the format is auto', async () => {
    const s = await openParseStream([Buffer.from(LINES[0]!)], { format: 'auto', gatewayConfig: NGINX });
    expect(s.format).toBe('nginx');
    const apache = await openParseStream([Buffer.from('')], { gatewayConfig: 'LogFormat "%t %{SSL_CLIENT_VERIFY}x" v\nCustomLog x v' });
    expect(apache.format).toBe('apache');
    const haproxy = await openParseStream([Buffer.from('')], { gatewayConfig: 'frontend fe\n  bind :443\n  log-format "%Ts %[ssl_c_err]"' });
    expect(haproxy.format).toBe('haproxy');
  });

  it.each([
    ['nginx without a configuration', { format: 'nginx' as const }, "format nginx needs the gateway's configuration (--gateway-config FILE) to read its log format"],
    ['haproxy with an empty configuration', { format: 'haproxy' as const, gatewayConfig: '  \n' }, "format haproxy needs the gateway's configuration (--gateway-config FILE) to read its log format"],
    ['a configuration for a format that takes none', { format: 'nginx-json' as const, gatewayConfig: NGINX }, 'a gateway configuration is read only for the formats nginx, apache and haproxy, not nginx-json'],
    ['a configuration without a usable format', { format: 'nginx' as const, gatewayConfig: "log_format main '$remote_addr [$time_local] \"$request\" $status';" }, "log_format 'main' carries no token, certificate or verify result: nothing to judge binding by"],
    ['an unknown format name', { format: 'nginx' as const, gatewayConfig: NGINX, logFormat: 'main' }, "no log_format named 'main'; the configuration has: mtls"],
    ['auto with a configuration of no known gateway', { gatewayConfig: 'server.port=8080' }, 'could not tell which gateway the configuration is for; pass --format nginx, apache or haproxy'],
  ])('refuses %s with validation_failed and one line', async (_n, opts, message) => {
    await expect(openParseStream([Buffer.from(LINES[0]!)], opts)).rejects.toMatchObject({ code: 'validation_failed', message });
  });

  it('PARSERS.nginx without a configuration answers every line with the reason (for direct callers)', () => {
    expect(PARSERS.nginx.parseLine(LINES[0]!, createParseContext())).toMatchObject({ kind: 'error', message: expect.stringContaining('--gateway-config') });
  });
});
