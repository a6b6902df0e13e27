// The real NGINX (Debian's nginx 1.22) as an mTLS gateway with a test CA and CRL, driven by real
// TLS clients through the certificate × token matrix, logging in two formats written the way owners
// write them (not Holdfast's): the classic `main` text format extended with TLS variables, and a
// nested JSON one with `escape=json`. Each log is read with the `nginx` format compiled from the
// configuration NGINX ran with; every verdict lib/binding gives must be the one this test knows.
// Skips when nginx is not installed, unless CI=true (then it must run).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideVerdict } from '../binding/decide-verdict.ts';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { addSelfSigned, BINDING_MATRIX, caseOf, clientFilesOf, driveMatrix, readLog, type SelfSigned } from '../testing/binding-matrix.ts';
import { createGatewayPki, type GatewayPki } from '../testing/gateway-pki.ts';
import { startNginx, type NginxProcess } from '../testing/nginx-launch.ts';
import { findNginx, freePort } from '../testing/processes.ts';
import { openParseStream } from './parse-stream.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
if (!NGINX && !IN_CI) console.warn('nginx-owner-real.test.ts: skipped — nginx is not installed (apt-get install -y nginx); set CI=true to make this a failure');
const describeNginx = NGINX || IN_CI ? describe : describe.skip;

type Server = 'optional' | 'noca';

/**
 * `ssl_verify_client optional` answers 400 to every certificate it cannot verify, after the
 * handshake, so the line is logged; `optional_no_ca` lets an untrusted one through and still
 * refuses a revoked, expired or (with a CRL configured) self-signed one.
 */
const STATUS: Record<Server, Record<string, number>> = {
  optional: {
    'good-bound': 200, 'good-unbound': 200, 'good-expired-token': 200, 'mismatched-bound': 200, 'stolen-no-cert': 200,
    'revoked-bound': 400, 'expired-cert': 400, 'untrusted-cert': 400, 'selfsigned-cert': 400, 'no-cert-unbound': 200,
  },
  noca: {
    'good-bound': 200, 'good-unbound': 200, 'good-expired-token': 200, 'mismatched-bound': 200, 'stolen-no-cert': 200,
    'revoked-bound': 400, 'expired-cert': 400, 'untrusted-cert': 200, 'selfsigned-cert': 400, 'no-cert-unbound': 200,
  },
};

/**
 * What NGINX (OpenSSL 3.0) logs for each refused certificate. With a CRL configured, a
 * self-signed certificate fails on "unable to get certificate CRL" (no CRL for its issuer), an
 * error optional_no_ca does not forgive, hence its 400 there too.
 */
const CERT_VERDICTS: Record<string, [Verdict, string]> = {
  'revoked-bound': ['cert_revoked', 'certificate revoked'],
  'expired-cert': ['cert_expired', 'certificate has expired'],
  'untrusted-cert': ['cert_untrusted', 'unable to verify the first certificate'],
  'selfsigned-cert': ['cert_untrusted', 'unable to get certificate CRL'],
};

/**
 * `main` logs `$ssl_client_fingerprint`, a SHA-1: a token's cnf x5t#S256 cannot be compared with it.
 * NGINX ended TLS itself, so nothing was stripped: the request is not judged (ok,
 * certificate_not_logged). The JSON format logs the escaped PEM.
 */
const BINDING_VERDICTS: Record<'main' | 'json_mtls', Record<string, [Verdict, string | null]>> = {
  main: {
    'good-bound': ['ok', 'certificate_not_logged'],
    'good-unbound': ['bearer_unbound', null],
    'good-expired-token': ['token_expired', 'accepted_after_expiry'],
    'mismatched-bound': ['ok', 'certificate_not_logged'],
    'stolen-no-cert': ['bound_not_enforced', 'no_certificate'],
    'no-cert-unbound': ['bearer_unbound', null],
  },
  json_mtls: {
    'good-bound': ['ok', null],
    'good-unbound': ['bearer_unbound', null],
    'good-expired-token': ['token_expired', 'accepted_after_expiry'],
    'mismatched-bound': ['bound_not_enforced', 'x5t_mismatch'],
    'stolen-no-cert': ['bound_not_enforced', 'no_certificate'],
    'no-cert-unbound': ['bearer_unbound', null],
  },
};

const LOG_FORMATS = `
    log_format main '$remote_addr - $remote_user [$time_local] "$request" '
                    '$status $body_bytes_sent "$http_referer" '
                    '"$http_user_agent" "$http_x_forwarded_for" '
                    'ssl="$ssl_client_verify" dn="$ssl_client_s_dn" serial=$ssl_client_serial '
                    'fp=$ssl_client_fingerprint auth="$http_authorization" rid=$request_id xrid=$http_x_request_id';

    log_format json_mtls escape=json
      '{"@timestamp":"$time_iso8601","client":"$remote_addr",'
      '"req":{"method":"$request_method","uri":"$request_uri","host":"$host","id":"$request_id"},'
      '"status":$status,"tls":{"verify":"$ssl_client_verify","subject":"$ssl_client_s_dn","cert":"$ssl_client_escaped_cert"},'
      '"auth":"$http_authorization","dpop":"$http_dpop","trace":"$http_x_request_id","took":$request_time}';
`;

describeNginx('real NGINX mTLS gateway in owner log formats', () => {
  let pki: GatewayPki;
  let selfSigned: SelfSigned;
  let nginx: NginxProcess | null = null;
  let config = '';
  const ports: Record<Server, number> = { optional: 0, noca: 0 };
  const outcome = new Map<string, number | 'handshake_failed'>();
  const tokens = new Map<string, string>();
  const events: Record<string, NormalizedEvent[]> = {};
  const rejected: string[] = [];

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed: apt-get install -y nginx');
    pki = createGatewayPki('holdfast-nginx-owner-');
    selfSigned = addSelfSigned(pki);
    ports.optional = await freePort();
    ports.noca = await freePort();
    const server = (s: Server, mode: string) => `
    server {
      listen 127.0.0.1:${ports[s]} ssl;
      server_name api.test;
      ssl_certificate ${pki.serverCertPath};
      ssl_certificate_key ${pki.serverKeyPath};
      ssl_client_certificate ${pki.caPath};
      ssl_crl ${pki.crlPath};
      ssl_verify_client ${mode};
      ssl_verify_depth 2;
      access_log ${pki.dir}/${s}.log main;
      access_log ${pki.dir}/${s}.json json_mtls;
      location / { return 200 "ok\\n"; }
    }`;
    nginx = await startNginx(NGINX, pki.dir, 'gw', `${LOG_FORMATS}${server('optional', 'optional')}${server('noca', 'optional_no_ca')}`, [ports.optional, ports.noca]);
    config = readFileSync(join(pki.dir, 'gw.conf'), 'utf8');
    for (const s of ['optional', 'noca'] as const) {
      for (const [name, d] of await driveMatrix(pki, selfSigned, ports[s])) {
        tokens.set(name, d.token.token);
        outcome.set(`${s}/${name}`, d.outcome);
      }
    }
    await nginx.stop();
    nginx = null;
    for (const s of ['optional', 'noca'] as const) {
      for (const [file, name] of [[`${s}.log`, 'main'], [`${s}.json`, 'json_mtls']] as const) {
        const r = await readLog(join(pki.dir, file), { format: 'nginx', gatewayConfig: config, logFormat: name });
        events[`${s}/${name}`] = r.events;
        rejected.push(...r.rejected);
      }
    }
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    pki?.cleanup();
  });

  it('each client saw the status NGINX gives its certificate', () => {
    for (const s of ['optional', 'noca'] as const) {
      for (const c of BINDING_MATRIX) expect(outcome.get(`${s}/${c.name}`), `${s}/${c.name}`).toBe(STATUS[s][c.name]);
    }
  });

  it('every line of both logs parses with the log_format compiled from nginx.conf', () => {
    expect(rejected).toEqual([]);
    for (const key of Object.keys(events)) expect(events[key]!.map(caseOf).sort(), key).toEqual(BINDING_MATRIX.map((c) => c.name).sort());
  });

  it('with two formats in use and no --log-format, the configuration is refused naming both', async () => {
    await expect(openParseStream([Buffer.from('')], { format: 'nginx', gatewayConfig: config })).rejects.toMatchObject({
      code: 'validation_failed',
      message: 'several log_formats could be the one: main, json_mtls; pass --log-format NAME',
    });
  });

  it.each(['main', 'json_mtls'] as const)('%s: the facts NGINX logged, as the test knows them', (fmt) => {
    for (const s of ['optional', 'noca'] as const) {
      for (const e of events[`${s}/${fmt}`]!) {
        const c = BINDING_MATRIX.find((x) => x.name === caseOf(e))!;
        expect(e.httpStatus, c.name).toBe(STATUS[s][c.name]);
        expect(e.correlationId).toBe(`rid-${c.name}`);
        expect(e.requestId).toMatch(/^[0-9a-f]{32}$/);
        expect(e.tokenClaims?.jti).toBe(c.name);
        const files = clientFilesOf(pki, selfSigned, c);
        if (!files) {
          expect(e.cert?.verify).toBe('NONE');
          continue;
        }
        expect(e.cert?.subjectDn, c.name).toBe(files.subject);
        if (fmt === 'json_mtls') expect(e.cert?.x5tS256, c.name).toBe(files.x5t);
        else expect(e.cert?.serial, c.name).toBe(files.serialHex);
      }
    }
  });

  it.each(['main', 'json_mtls'] as const)('%s: every verdict, from the log alone', async (fmt) => {
    for (const s of ['optional', 'noca'] as const) {
      for (const e of events[`${s}/${fmt}`]!) {
        const name = caseOf(e);
        const d = await decideVerdict(e, null);
        const cert = CERT_VERDICTS[name];
        if (cert) {
          expect([d.verdict, d.reason], `${s}/${name}`).toEqual(cert);
          expect(e.cert?.verify).toBe(`FAILED:${cert[1]}`);
          expect(d.accepted).toBe(STATUS[s][name] === 200);
        } else expect([d.verdict, d.reason], `${s}/${name}`).toEqual(BINDING_VERDICTS[fmt][name]);
      }
    }
  });

  it('no raw token in anything parsed', () => {
    const out = JSON.stringify(Object.values(events).flat().map((e) => ({ ...e, dpopProof: null })));
    for (const t of tokens.values()) expect(out).not.toContain(t.split('.')[1]);
  });
});
