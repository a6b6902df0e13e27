// Pure checks of the generated NGINX text: options that would add directives of their own are
// refused by name, the log format keeps every evidence field of the recommended one and never
// names a credential variable, and checks/notChecked follow the requirement.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isHoldfastError } from '../errors.ts';
import { nginxNjsHttpConfig } from '../ingest/gateway-configs.ts';
import { enforcementLogFormat, nginxEnforcementConfig } from './nginx-enforcement-config.ts';
import type { NginxEnforcementOptions } from './types.ts';

const BASE: NginxEnforcementOptions = { require: 'mtls', upstream: 'http://10.0.0.5:8080', logPath: '/var/log/nginx/holdfast.json' };

function refusal(o: Partial<NginxEnforcementOptions> | Record<string, unknown>): string {
  try {
    nginxEnforcementConfig({ ...BASE, ...o } as NginxEnforcementOptions);
  } catch (e) {
    if (isHoldfastError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'accepted';
}

describe('nginxEnforcementConfig options', () => {
  it.each([
    [{ scope: { serverName: 'api.example.com; return 200' } }, 'validation_failed: scope.serverName: must be a host name or _'],
    [{ scope: { serverName: 'api.example.com\n  ssl_verify_client off' } }, 'validation_failed: scope.serverName: must be a host name or _'],
    [{ scope: { locationPrefix: '/api/ { return 200; } location /x' } }, 'validation_failed: scope.locationPrefix: must be a path starting with / (no spaces or quotes)'],
    [{ scope: { locationPrefix: 'api/' } }, 'validation_failed: scope.locationPrefix: must be a path starting with / (no spaces or quotes)'],
    [{ upstream: 'http://10.0.0.5:8080;\n  return 200' }, 'validation_failed: upstream: must be an http(s) URL such as http://10.0.0.5:8080'],
    [{ upstream: 'ftp://10.0.0.5' }, 'validation_failed: upstream: must be an http(s) URL such as http://10.0.0.5:8080'],
    [{ logPath: '/var/log/$http_authorization.log' }, 'validation_failed: logPath: must be an absolute file path without spaces, quotes or $'],
    [{ logPath: 'relative.log' }, 'validation_failed: logPath: must be an absolute file path without spaces, quotes or $'],
    [{ njsDir: '/etc/nginx/njs;' }, 'validation_failed: njsDir: must be an absolute file path without spaces, quotes or $'],
    [{ listen: '443 ssl; ssl_verify_client off' }, 'validation_failed: listen: must be [host:]port'],
    [{ require: 'tls' }, 'validation_failed: require: must be one of mtls, dpop, bound'],
    [{ mode: 'audit' }, 'validation_failed: mode: must be one of enforce, report_only'],
    [{ maxTtlSeconds: 0 }, 'validation_failed: maxTtlSeconds: must be a whole number of seconds above 0'],
    [{ maxTtlSeconds: 1.5 }, 'validation_failed: maxTtlSeconds: must be a whole number of seconds above 0'],
    [{ dpopMaxAgeSeconds: 86400 }, 'validation_failed: dpopMaxAgeSeconds: must be a whole number of seconds from 1 to 3600'],
    [{ tls: { certificate: '/c.pem', certificateKey: '/k.pem' } }, 'validation_failed: tls.clientCa: is required when require is mtls (client certificates must be requested)'],
    [{ tls: { certificate: '/c.pem', certificateKey: '/k "x"', clientCa: '/ca.pem' } }, 'validation_failed: tls.certificateKey: must be an absolute file path'],
  ])('refuses %j', (o, want) => {
    expect(refusal(o)).toBe(want);
  });

  it.each([
    [{ scope: { serverName: '*.api.example.com', locationPrefix: '/v1/orders/' } }],
    [{ scope: { serverName: '_' } }],
    [{ upstream: 'https://[::1]:8443/base' }],
    [{ require: 'dpop', tls: { certificate: '/c.pem', certificateKey: '/k.pem' } }],
    [{ listen: '[::]:8443' }],
  ])('accepts %j', (o) => {
    expect(refusal(o as Partial<NginxEnforcementOptions>)).toBe('accepted');
  });
});

describe('the generated NGINX text', () => {
  it('logs every field of the recommended njs format plus enforcement, enforcement_reason and enforcement_mode', () => {
    const recommended = nginxNjsHttpConfig({ njsPath: '/x/holdfast.js' });
    const fieldsOf = (text: string, name: string) => [...(new RegExp(`log_format ${name} [\\s\\S]*?';`).exec(text)?.[0] ?? '').matchAll(/"([a-z_0-9]+)":/g)].map((m) => m[1]);
    const enforce = enforcementLogFormat(recommended, 'enforce');
    expect(fieldsOf(enforce, 'holdfast_enforce_json')).toEqual([...fieldsOf(recommended, 'holdfast_njs_json'), 'enforcement', 'enforcement_reason', 'enforcement_mode']);
    // Never a credential variable in the log.
    expect(enforce).not.toMatch(/\$http_authorization|\$http_dpop|\$http_cookie/);
  });

  it('throws when the recommended format cannot be extended (its shape changed)', () => {
    expect(() => enforcementLogFormat('log_format other escape=json \'{"a":"$b"}\';', 'enforce')).toThrow(/\(holdfast_njs_json\) was not found/);
  });

  it('configures the check with the policy, refuses in the scope location and sets the challenge only on refusals', () => {
    const c = nginxEnforcementConfig({ ...BASE, require: 'bound', mode: 'report_only', maxTtlSeconds: 900, scope: { serverName: 'api.example.com', locationPrefix: '/v1/' } });
    expect(c.parts.server).toContain('server_name api.example.com;');
    expect(c.parts.server).toContain('location /v1/ {');
    expect(c.parts.server).toContain('set $holdfast_require bound;');
    expect(c.parts.server).toContain('set $holdfast_mode report_only;');
    expect(c.parts.server).toContain('set $holdfast_max_ttl 900;');
    expect(c.parts.server).toContain('ssl_verify_client optional;');
    expect(c.http).toContain('"enforcement_mode":"report_only"');
    expect(c.checks.map((k) => k.reason)).toEqual([
      'no_token', 'opaque_token', 'cnf_anomaly', 'binding_required', 'no_certificate', 'x5t_mismatch',
      'bearer_scheme_for_dpop_token', 'no_proof', 'typ', 'private_key_in_jwk', 'htm', 'ath', 'jkt_mismatch', 'malformed', 'alg', 'htu', 'iat', 'signature',
      'ttl_unknown', 'ttl_over_policy',
    ]);
    expect(c.notChecked.join('\n')).toMatch(/jti replay/);
    expect(c.text).toContain('# ==== file /etc/nginx/njs/holdfast_enforce.js ====');
  });

  it('for require mtls claims no DPoP check and lists no DPoP limits; without TLS options it uses example paths', () => {
    const c = nginxEnforcementConfig(BASE);
    expect(c.checks.map((k) => k.reason)).toEqual(['no_token', 'opaque_token', 'cnf_anomaly', 'binding_required', 'no_certificate', 'x5t_mismatch']);
    expect(c.notChecked.join('\n')).not.toMatch(/DPoP|EdDSA/);
    expect(c.parts.server).toContain('ssl_client_certificate /etc/nginx/tls/client-ca.crt;');
  });

  it('for require dpop without a client CA requests no client certificate', () => {
    const c = nginxEnforcementConfig({ ...BASE, require: 'dpop', tls: { certificate: '/c.pem', certificateKey: '/k.pem' } });
    expect(c.parts.server).not.toContain('ssl_verify_client');
    expect(c.checks.map((k) => k.reason)).not.toContain('x5t_mismatch');
  });
});

// lib/enforcement is pure core: its text reaches plan pages, the API and the CLI unchanged.
describe('lib/enforcement purity', () => {
  const dir = new URL('.', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
  it.each(files)('%s imports only node: builtins and pure modules', (f) => {
    const code = readFileSync(new URL(f, dir), 'utf8').replace(/`(?:\\[\s\S]|[^`\\])*`/g, '``');
    for (const m of code.matchAll(/^\s*(?:import|export)[^'"]*from\s+'([^']+)'/gm)) {
      const spec = m[1]!;
      expect(spec.startsWith('node:') || spec.startsWith('./') || /^\.\.\/(ingest|errors|domain|binding)\b/.test(spec), `${f}: ${spec}`).toBe(true);
    }
    expect(code).not.toMatch(/process\.env/);
  });
});
