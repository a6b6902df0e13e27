// Pure checks of the generated HAProxy text: options refused by name, the recommended frontend's
// evidence kept, the log format extended, and the DPoP-only variant asking for no certificate.
import { describe, expect, it } from 'vitest';
import { isHoldfastError } from '../errors.ts';
import { haproxyEnforcementConfig } from './haproxy-enforcement-config.ts';
import type { HaproxyEnforcementOptions } from './types.ts';

const BASE: HaproxyEnforcementOptions = { require: 'mtls', upstream: 'http://10.0.0.5:8080', logPath: '/var/log/haproxy/holdfast.log' };

function refusal(o: Partial<HaproxyEnforcementOptions>): string {
  try {
    haproxyEnforcementConfig({ ...BASE, ...o });
  } catch (e) {
    if (isHoldfastError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'accepted';
}

describe('haproxyEnforcementConfig', () => {
  it.each([
    [{ upstream: 'http://10.0.0.5:8080/base' }, 'validation_failed: upstream: HAProxy forwards the path unchanged; give the upstream without a path'],
    [{ bind: ':443 ssl crt /x' }, 'validation_failed: bind: must be [host:]port'],
    [{ logTarget: 'stdout\n  http-request allow' }, 'validation_failed: logTarget: must be stdout, stderr, host:port or an absolute socket path'],
    [{ crtFile: '/etc/haproxy/a b.pem' }, 'validation_failed: crtFile: must be an absolute file path without spaces, quotes or $'],
    [{ scope: { serverName: 'a.example.com if TRUE' } }, 'validation_failed: scope.serverName: must be a host name or _'],
  ])('refuses %j', (o, want) => {
    expect(refusal(o as Partial<HaproxyEnforcementOptions>)).toBe(want);
  });

  it('keeps the recommended frontend (certificate deny first), adds the rules before the log format and extends it', () => {
    const c = haproxyEnforcementConfig({ ...BASE, scope: { serverName: 'api.example.com', locationPrefix: '/v1/' } });
    const deny = c.config.indexOf('http-request deny deny_status 403');
    const firstRule = c.config.indexOf('acl hf_scope_host');
    expect(deny).toBeGreaterThan(0);
    expect(firstRule).toBeGreaterThan(deny);
    expect(c.config).toContain('acl hf_scope_host req.hdr(host),field(1,:) -i api.example.com');
    expect(c.config).toContain('acl hf_scope_path path_beg /v1/');
    expect(c.config).toMatch(/log-format ".* enforcement=%\[var\(txn\.holdfast_enforcement\)\] enforcement_reason=%\[var\(txn\.holdfast_reason\)\] enforcement_mode=enforce"/);
    expect(c.config).toContain('server upstream 10.0.0.5:8080');
    expect(c.config).not.toContain('holdfast_dpop_jti');
    expect(c.checks.map((k) => k.reason)).toEqual(['no_token', 'opaque_token', 'cnf_anomaly', 'binding_required', 'no_certificate', 'x5t_mismatch']);
  });

  it('require dpop without a client CA asks for no certificate, keeps a jti table for the proof window and says the signature is not verified', () => {
    const c = haproxyEnforcementConfig({ ...BASE, require: 'dpop', dpopMaxAgeSeconds: 120, tls: { certificate: '/etc/haproxy/s.pem', certificateKey: '/etc/haproxy/s.pem' } });
    expect(c.config).not.toMatch(/ca-file|verify optional/);
    expect(c.config).toContain('stick-table type string len 43 size 1m expire 125s store gpc0');
    expect(c.checks.map((k) => k.reason)).toContain('jti_replay');
    expect(c.notChecked.join('\n')).toMatch(/signature/);
  });

  it('report_only refuses nothing: no return rule, would_refuse logged', () => {
    const c = haproxyEnforcementConfig({ ...BASE, mode: 'report_only' });
    expect(c.config).not.toContain('http-request return');
    expect(c.config).toContain('str(would_refuse) if hf_decided');
  });
});
