// The real Apache httpd (Debian's apache2 2.4, mod_ssl) as an mTLS gateway with a test CA and CRL,
// driven by real TLS clients through the certificate × token matrix. Its own access logs, in two
// formats written the way owners write them (a combined-plus-SSL text format and a JSON one), are
// read with the `apache` format compiled from the very configuration Apache ran with; its error
// log with `apache-error`. Every verdict lib/binding gives must be the one this test knows.
// Skips when apache2 is not installed, unless CI=true (then it must run).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideVerdict } from '../binding/decide-verdict.ts';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { findApache, startApache, type ApacheProcess } from '../testing/apache-launch.ts';
import { addSelfSigned, BINDING_MATRIX, caseOf, clientFilesOf, driveMatrix, readLog, type SelfSigned } from '../testing/binding-matrix.ts';
import { createGatewayPki, type GatewayPki } from '../testing/gateway-pki.ts';
import { freePort } from '../testing/processes.ts';
import { openParseStream } from './parse-stream.ts';

const APACHE = findApache();
const IN_CI = process.env.CI === 'true';
if (!APACHE && !IN_CI) console.warn('apache-real.test.ts: skipped — apache2 is not installed (apt-get install -y apache2); set CI=true to make this a failure');
const describeApache = APACHE || IN_CI ? describe : describe.skip;

type Vhost = 'optional' | 'noca';
type Outcome = number | 'handshake_failed';

// What a client sees per vhost. `SSLVerifyClient optional` aborts the handshake for every
// certificate it cannot verify; `optional_no_ca` lets untrusted and self-signed ones through but
// still aborts for revoked and expired ones (verification errors it never treats as optional).
const STATUS: Record<Vhost, Record<string, Outcome>> = {
  optional: {
    'good-bound': 200, 'good-unbound': 200, 'good-expired-token': 200, 'mismatched-bound': 200, 'stolen-no-cert': 200,
    'revoked-bound': 'handshake_failed', 'expired-cert': 'handshake_failed', 'untrusted-cert': 'handshake_failed', 'selfsigned-cert': 'handshake_failed',
    'no-cert-unbound': 200,
  },
  noca: {
    'good-bound': 200, 'good-unbound': 200, 'good-expired-token': 200, 'mismatched-bound': 200, 'stolen-no-cert': 200,
    'revoked-bound': 'handshake_failed', 'expired-cert': 'handshake_failed', 'untrusted-cert': 200, 'selfsigned-cert': 200,
    'no-cert-unbound': 200,
  },
};

/**
 * Verdicts of the access-log lines, read from the log alone (the token's claims come from the
 * logged Authorization header, hashed and dropped by the parser). The text format logs the
 * certificate's subject and serial but no fingerprint or PEM, so a bound token cannot be compared;
 * Apache ended TLS itself, so nothing was stripped: not judged (ok, certificate_not_logged), not a guess.
 */
const VERDICT: Record<'json' | 'ssl_combined', Record<string, [Verdict, string | null]>> = {
  json: {
    'good-bound': ['ok', null],
    'good-unbound': ['bearer_unbound', null],
    'good-expired-token': ['token_expired', 'accepted_after_expiry'],
    'mismatched-bound': ['bound_not_enforced', 'x5t_mismatch'],
    'stolen-no-cert': ['bound_not_enforced', 'no_certificate'],
    'untrusted-cert': ['cert_untrusted', 'unable to verify the first certificate'],
    'selfsigned-cert': ['cert_untrusted', 'GENEROUS: accepted unverified (SSLVerifyClient optional_no_ca)'],
    'no-cert-unbound': ['bearer_unbound', null],
  },
  ssl_combined: {
    'good-bound': ['ok', 'certificate_not_logged'],
    'good-unbound': ['bearer_unbound', null],
    'good-expired-token': ['token_expired', 'accepted_after_expiry'],
    'mismatched-bound': ['ok', 'certificate_not_logged'],
    'stolen-no-cert': ['bound_not_enforced', 'no_certificate'],
    'untrusted-cert': ['cert_untrusted', 'unable to verify the first certificate'],
    'selfsigned-cert': ['cert_untrusted', 'GENEROUS: accepted unverified (SSLVerifyClient optional_no_ca)'],
    'no-cert-unbound': ['bearer_unbound', null],
  },
};

// The formats as an owner writes them: Debian's combined plus mod_ssl variables and the
// Authorization header; and a JSON line with the PEM (Apache escapes its newlines as \n).
const LOG_FORMATS = `LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %{SSL_CLIENT_VERIFY}x \\"%{SSL_CLIENT_S_DN}x\\" \\"%{SSL_CLIENT_I_DN}x\\" %{SSL_CLIENT_M_SERIAL}x \\"%{Authorization}i\\" %{UNIQUE_ID}e %D" ssl_combined
LogFormat "{ \\"time\\":\\"%{%Y-%m-%dT%H:%M:%S}t.%{msec_frac}t%{%z}t\\", \\"remoteIP\\":\\"%a\\", \\"host\\":\\"%V\\", \\"request\\":\\"%U\\", \\"query\\":\\"%q\\", \\"method\\":\\"%m\\", \\"status\\":%>s, \\"verify\\":\\"%{SSL_CLIENT_VERIFY}x\\", \\"cert\\":\\"%{SSL_CLIENT_CERT}x\\", \\"x_request_id\\":\\"%{X-Request-ID}i\\", \\"auth\\":\\"%{Authorization}i\\", \\"dpop\\":\\"%{DPoP}i\\", \\"id\\":\\"%{UNIQUE_ID}e\\" }" json`;

describeApache('real Apache httpd mTLS gateway: access and error logs in owner formats', () => {
  let pki: GatewayPki;
  let selfSigned: SelfSigned;
  let apache: ApacheProcess | null = null;
  let config = '';
  const ports: Record<Vhost, number> = { optional: 0, noca: 0 };
  const outcome = new Map<string, Outcome>();
  const tokens = new Map<string, string>();
  const events: Record<string, NormalizedEvent[]> = {};
  const rejected: string[] = [];

  beforeAll(async () => {
    if (!APACHE) throw new Error('CI=true but apache2 is not installed: apt-get install -y apache2');
    pki = createGatewayPki('holdfast-apache-');
    selfSigned = addSelfSigned(pki);
    ports.optional = await freePort();
    ports.noca = await freePort();
    const vhost = (v: Vhost, mode: string, extra: string) => `<VirtualHost 127.0.0.1:${ports[v]}>
  SSLEngine on
  SSLCertificateFile ${pki.serverCertPath}
  SSLCertificateKeyFile ${pki.serverKeyPath}
  SSLCACertificateFile ${pki.caPath}
  SSLCARevocationFile ${pki.crlPath}
  SSLVerifyClient ${mode}
  SSLVerifyDepth 2
  SSLOptions +ExportCertData
${extra}
  CustomLog ${pki.dir}/${v}.log ssl_combined
  CustomLog ${pki.dir}/${v}.json json
  AliasMatch ^/ ${pki.dir}/ok.txt
</VirtualHost>`;
    // The two vhosts log certificate failures at the two levels owners run: ssl:info writes
    // AH02276 with the certificate's subject and serial, the default (warn) only AH02039.
    writeFileSync(join(pki.dir, 'ok.txt'), 'ok\n');
    const body = `LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
${LOG_FORMATS}
${vhost('optional', 'optional', `  SSLCARevocationCheck chain\n  ErrorLog ${pki.dir}/optional-error.log\n  LogLevel warn ssl:info`)}
${vhost('noca', 'optional_no_ca', `  SSLCARevocationCheck chain no_crl_for_cert_ok\n  ErrorLog ${pki.dir}/noca-error.log\n  LogLevel warn`)}
`;
    apache = await startApache(APACHE, pki.dir, body, [ports.optional, ports.noca]);
    config = readFileSync(join(pki.dir, 'httpd.conf'), 'utf8');
    for (const v of ['optional', 'noca'] as const) {
      for (const [name, d] of await driveMatrix(pki, selfSigned, ports[v], { DPoP: 'not-a-proof' })) {
        tokens.set(name, d.token.token);
        outcome.set(`${v}/${name}`, d.outcome);
      }
    }
    await apache.stop();
    apache = null;
    const read = async (key: string, file: string, opts: Parameters<typeof readLog>[1]) => {
      const r = await readLog(join(pki.dir, file), opts);
      events[key] = r.events;
      rejected.push(...r.rejected);
    };
    for (const v of ['optional', 'noca'] as const) {
      await read(`${v}/ssl_combined`, `${v}.log`, { format: 'apache', gatewayConfig: config, logFormat: 'ssl_combined' });
      await read(`${v}/json`, `${v}.json`, { format: 'apache', gatewayConfig: config, logFormat: 'json' });
      await read(`${v}/error`, `${v}-error.log`, { format: 'apache-error' });
    }
  }, 60_000);

  afterAll(async () => {
    await apache?.stop();
    pki?.cleanup();
  });

  it('each client saw the status Apache gives its certificate, or a refused handshake', () => {
    for (const v of ['optional', 'noca'] as const) {
      for (const c of BINDING_MATRIX) expect(outcome.get(`${v}/${c.name}`), `${v}/${c.name}`).toBe(STATUS[v][c.name]);
    }
  });

  it('every line of both access logs parses with the format compiled from the configuration', () => {
    expect(rejected).toEqual([]);
    for (const v of ['optional', 'noca'] as const) {
      const reached = BINDING_MATRIX.filter((c) => STATUS[v][c.name] !== 'handshake_failed').map((c) => c.name).sort();
      expect(events[`${v}/ssl_combined`]!.map(caseOf).sort(), v).toEqual(reached);
      expect(events[`${v}/json`]!.map(caseOf).sort(), v).toEqual(reached);
    }
  });

  it('without --log-format the configuration is ambiguous, and says between which formats', async () => {
    await expect(openParseStream([Buffer.from('')], { format: 'apache', gatewayConfig: config })).rejects.toMatchObject({
      code: 'validation_failed',
      message: "several LogFormats could be the one: ssl_combined, json; pass --log-format NAME",
    });
  });

  it.each(['ssl_combined', 'json'] as const)('%s: the facts Apache logged, as the test knows them', (fmt) => {
    for (const v of ['optional', 'noca'] as const) {
      for (const e of events[`${v}/${fmt}`]!) {
        const c = BINDING_MATRIX.find((x) => x.name === caseOf(e))!;
        expect(e.httpStatus).toBe(200);
        expect(e.method).toBe('GET');
        expect(e.clientIp).toBe('127.0.0.1');
        expect(e.requestId).toMatch(/^[\w@-]{20,}$/);
        expect(e.authScheme).toBe('Bearer');
        expect(e.tokenClaims?.jti).toBe(c.name);
        const files = clientFilesOf(pki, selfSigned, c);
        if (!files) {
          expect(e.cert?.verify).toBe('NONE');
          continue;
        }
        expect(e.cert?.subjectDn, c.name).toBe(files.subject);
        if (fmt === 'json') expect(e.cert?.x5tS256, c.name).toBe(files.x5t);
        else {
          expect(e.cert?.serial, c.name).toBe(files.serialHex);
          expect(e.cert?.x5tS256).toBeNull();
        }
        if (fmt === 'json') expect(e.correlationId).toBe(`rid-${c.name}`);
      }
    }
  });

  it.each(['ssl_combined', 'json'] as const)('%s: every verdict, decided from the log alone', async (fmt) => {
    for (const v of ['optional', 'noca'] as const) {
      for (const e of events[`${v}/${fmt}`]!) {
        const d = await decideVerdict(e, null);
        expect([d.verdict, d.reason], `${v}/${caseOf(e)}`).toEqual(VERDICT[fmt][caseOf(e)]);
      }
    }
  });

  it('the certificates refused in the handshake are only in the error log: AH02276 (ssl:info) with subject and serial, AH02039 (warn) without', async () => {
    const info = events['optional/error']!;
    expect(info.map((e) => [e.cert?.subjectDn, e.cert?.serial, e.sourceVerdict?.verdict, e.labels?.apache_message])).toEqual([
      [pki.clients.revoked.subject, pki.clients.revoked.serialHex, 'cert_revoked', 'AH02276'],
      [pki.clients.expired.subject, pki.clients.expired.serialHex, 'cert_expired', 'AH02276'],
      [pki.clients.untrusted.subject, pki.clients.untrusted.serialHex, 'cert_untrusted', 'AH02276'],
      [selfSigned.subject, selfSigned.serialHex, 'cert_untrusted', 'AH02276'],
    ]);
    const warn = events['noca/error']!;
    expect(warn.map((e) => [e.cert?.subjectDn, e.sourceVerdict?.verdict, e.labels?.apache_message])).toEqual([
      [null, 'cert_revoked', 'AH02039'],
      [null, 'cert_expired', 'AH02039'],
    ]);
    for (const e of [...info, ...warn]) {
      expect(e).toMatchObject({ requestId: null, httpStatus: null, tokenFingerprint: null, clientIp: '127.0.0.1' });
      const d = await decideVerdict(e, null);
      expect(d.verdict).toBe(e.sourceVerdict!.verdict);
    }
  });

  it('no raw token in anything parsed: the Authorization header is fingerprinted, the line redacted', () => {
    const out = JSON.stringify(Object.values(events).flat().map((e) => ({ ...e, dpopProof: null })));
    for (const t of tokens.values()) expect(out).not.toContain(t.split('.')[1]);
    expect(out).toContain('Bearer [redacted]');
  });
});
