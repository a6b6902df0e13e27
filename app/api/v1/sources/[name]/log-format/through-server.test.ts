// A source's log format through the real server (scripts/start.mjs) on both runtimes, with the
// real HAProxy (Debian's haproxy 2.6) as an mTLS gateway: real TLS clients go through the
// certificate × token matrix, HAProxy writes its own log-format line per request, and its very
// configuration is PUT on a source. The log POSTed with ?source=&format=haproxy is read with it
// and every stored verdict is the one the test knows; an unusable configuration is a 422 with one
// line; format haproxy for a source without a saved configuration is a 422 and commits nothing; an
// ingest-only key cannot save one (403); the audit log names the configuration by its SHA-256 only.
// Skips when haproxy is not installed or there is no build, unless CI=true (then it must run).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '@/lib/domain/types.ts';
import { addSelfSigned, BINDING_MATRIX, driveMatrix } from '@/lib/testing/binding-matrix.ts';
import { createGatewayPki, type GatewayPki } from '@/lib/testing/gateway-pki.ts';
import { findHaproxy, startHaproxy } from '@/lib/testing/haproxy-launch.ts';
import { postgresAvailable, RUNTIMES } from '@/lib/testing/databases.ts';
import { freePorts, hasBuild, runCli } from '@/lib/testing/processes.ts';
import { httpCaller, startRuntimeServer, type RuntimeServer } from '@/lib/testing/runtime-server.ts';

const HAPROXY = findHaproxy();
const IN_CI = process.env.CI === 'true';
const RUN = (!!HAPROXY && hasBuild()) || IN_CI;
if (!RUN) console.warn('log-format through-server.test.ts: skipped — needs haproxy and a build (next build); set CI=true to make this a failure');

// What lib/binding decides for each request HAProxy logged, with the tokens' binding known from an
// introspection dump (the log carries HAProxy's own fingerprint of the token, never the token).
// ssl_c_verify alone says 21 / 3 for the untrusted and self-signed certificates: ssl_c_err tells.
const VERDICT: Record<string, [Verdict, string | null]> = {
  'good-bound': ['ok', null],
  'good-unbound': ['bearer_unbound', null],
  'good-expired-token': ['token_expired', 'accepted_after_expiry'],
  'mismatched-bound': ['bound_not_enforced', 'x5t_mismatch'],
  'stolen-no-cert': ['bound_not_enforced', 'no_certificate'],
  'revoked-bound': ['cert_revoked', 'certificate revoked'],
  'expired-cert': ['cert_expired', 'certificate has expired'],
  'untrusted-cert': ['cert_untrusted', 'unable to get local issuer certificate'],
  'selfsigned-cert': ['cert_untrusted', 'self-signed certificate'],
  'no-cert-unbound': ['bearer_unbound', null],
};

/** An owner's frontend: unique id, captures (the token only as HAProxy's own SHA-256), certificate fetches. */
function haproxyConfig(pki: GatewayPki, pem: string, port: number, plainPort: number): string {
  return `global
  log stdout len 16384 format raw local0

defaults
  mode http
  timeout client 5s
  timeout connect 5s
  timeout server 5s

frontend fe_api
  log global
  bind 127.0.0.1:${port} ssl crt ${pem} verify optional ca-file ${pki.caPath} crl-file ${pki.crlPath} crt-ignore-err all ca-ignore-err all
  unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid
  http-request capture req.hdr(X-Request-ID) len 64
  http-request capture req.hdr(Authorization),word(1,' ') len 16
  http-request capture req.hdr(Authorization),word(2,' '),sha2(256),ub64enc len 64
  log-format "%ci:%cp [%tr] %ft %ST %{+Q}r %ID rid=%{+Q}[capture.req.hdr(0)] scheme=%[capture.req.hdr(1)] tok=%[capture.req.hdr(2)] used=%[ssl_c_used] verify=%[ssl_c_verify] err=%[ssl_c_err] caerr=%[ssl_c_ca_err] sdn=%{+Q}[ssl_c_s_dn] serial=%[ssl_c_serial,hex] x5t=%[ssl_c_der,sha2(256),ub64enc]"
  http-request return status 200 content-type text/plain string ok

frontend fe_plain
  bind 127.0.0.1:${plainPort}
  log-format "%ci %ST %{+Q}r"
  http-request return status 200 content-type text/plain string ok
`;
}

// A frontend HAProxy runs that logs nothing Holdfast could read.
const NO_LOG_FORMAT = `frontend fe
  bind 127.0.0.1:8443
  http-request return status 200
`;

describe.runIf(RUN)('source log formats with the real HAProxy', () => {
  let pki: GatewayPki;
  let config = '';
  let configFile = '';
  let log = '';
  let introspection = '';

  beforeAll(async () => {
    if (!HAPROXY) throw new Error('CI=true but haproxy is not installed: apt-get install -y haproxy');
    pki = createGatewayPki('holdfast-logformat-server-');
    const selfSigned = addSelfSigned(pki);
    const pem = join(pki.dir, 'server.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const [port, plainPort] = (await freePorts(2)) as [number, number];
    const haproxy = await startHaproxy(HAPROXY, pki.dir, 'haproxy', haproxyConfig(pki, pem, port, plainPort), [port, plainPort]);
    let driven: Awaited<ReturnType<typeof driveMatrix>>;
    try {
      driven = await driveMatrix(pki, selfSigned, port);
    } finally {
      await haproxy.stop();
    }
    configFile = join(pki.dir, 'haproxy.cfg');
    config = readFileSync(configFile, 'utf8');
    log = readFileSync(haproxy.logFile, 'utf8');
    // What the authorization server knows of the tokens the clients sent (RFC 7662, the token hashed
    // at ingest, never kept). The very tokens driven: a token made again carries another exp.
    introspection = BINDING_MATRIX.map((c) => {
      const t = driven.get(c.name)!.token;
      const cnf = t.facts.cnfX5tS256 ? { cnf: { 'x5t#S256': t.facts.cnfX5tS256 } } : {};
      return JSON.stringify({ active: true, token: t.token, iss: 'https://as.test', sub: `svc-${c.name}`, client_id: `client-${c.name}`, jti: c.name, exp: Math.floor(t.facts.expiresAt!.getTime() / 1000), ...cnf });
    }).join('\n');
  }, 120_000);

  afterAll(() => pki?.cleanup());

  // HAProxy's own start and stop messages share the log (the format skips them).
  const lines = () => log.trim().split('\n').length;

  it('HAProxy logged one line per request of the matrix', () => {
    expect(log.trim().split('\n').filter((l) => l.includes('/case/'))).toHaveLength(BINDING_MATRIX.length);
  });

  for (const runtime of RUNTIMES) {
    describe(`through the server on ${runtime}`, () => {
      let running: RuntimeServer | undefined;
      let base = '';
      let admin = '';
      let sourceKey = '';
      let analyst = '';

      const call = httpCaller(() => base);
      const ingest = (query: string, body: string, key = admin) => call('POST', `/api/v1/ingest?${query}`, key, body, 'text/plain');
      const batchCount = async () => (await call('GET', '/api/v1/ingest/batches', admin)).json.batches.length as number;

      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) {
          if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
          return;
        }
        running = await startRuntimeServer(runtime);
        base = running.server.url;
        admin = running.key;
        const created = await call('POST', '/api/v1/sources', admin, { name: 'hap-edge' });
        expect(created.status).toBe(201);
        sourceKey = created.json.apiKey.key;
        analyst = (await call('POST', '/api/v1/api-keys', admin, { name: 'reader', role: 'analyst' })).json.key;
      }, 240_000);

      afterAll(async () => running?.stop());

      it('an ingest-only key (the source\'s own) cannot save a log format: 403, nothing saved', async (ctx) => {
        if (!running) return ctx.skip();
        const r = await call('PUT', '/api/v1/sources/hap-edge/log-format', sourceKey, { format: 'haproxy', config });
        expect(r.status).toBe(403);
        expect(r.type).toBe('application/problem+json');
        expect(r.json.code).toBe('forbidden');
        expect((await call('GET', '/api/v1/sources/hap-edge/log-format', admin)).status).toBe(404);
      });

      it('a configuration without a usable log format is a 422 with one line, and nothing is saved', async (ctx) => {
        if (!running) return ctx.skip();
        const cases: Array<[unknown, string]> = [
          [{ format: 'haproxy', config: NO_LOG_FORMAT }, 'no frontend or listen section of the HAProxy configuration has a log-format or option httplog/httpslog'],
          [{ format: 'haproxy', config, logFormat: 'fe_nope' }, 'fe_nope'],
          [{ format: 'haproxy', config, logFormat: 'fe_plain' }, 'nothing to judge binding by'],
          [{ format: 'auto', config: 'just some text' }, 'could not tell which gateway the configuration is for'],
        ];
        for (const [body, detail] of cases) {
          const r = await call('PUT', '/api/v1/sources/hap-edge/log-format', admin, body);
          expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(422);
          expect(r.json.code).toBe('validation_failed');
          expect(r.json.detail).toContain(detail);
          expect(r.json.detail).not.toContain('\n');
        }
        expect((await call('GET', '/api/v1/sources/hap-edge/log-format', admin)).status).toBe(404);
      });

      it('format haproxy for a source without a saved configuration is a 422 and commits nothing', async (ctx) => {
        if (!running) return ctx.skip();
        const before = await batchCount();
        for (const [query, key, detail] of [
          ['source=hap-edge&format=haproxy', admin, 'source hap-edge keeps none'],
          ['format=haproxy', sourceKey, "this key's source keeps none"],
          ['format=haproxy', admin, 'name it with source=NAME'],
          ['source=hap-edge&format=auto&logFormat=fe_api', admin, 'logFormat picks a format of the gateway configuration saved on a source, and source hap-edge keeps none'],
        ] as const) {
          const r = await ingest(query, log, key);
          expect(r.status, query).toBe(422);
          expect(r.json.code).toBe('validation_failed');
          expect(r.json.detail).toContain(detail);
        }
        expect(await batchCount()).toBe(before);
        expect((await call('GET', '/api/v1/events?limit=10', admin)).json.items).toEqual([]);
      });

      it("PUT the gateway's configuration, then its log with ?source=&format=haproxy: every stored verdict as the clients produced it", async (ctx) => {
        if (!running) return ctx.skip();
        const saved = await call('PUT', '/api/v1/sources/hap-edge/log-format', admin, { format: 'haproxy', config, logFormat: 'fe_api' });
        expect(saved.status, saved.text).toBe(201);
        // %tr has no zone, and the format logs no DPoP header: the two things the compiler has to say about it.
        const noDpop = [expect.stringContaining('logs its time without a zone (%tr)'), expect.stringContaining('logs neither the DPoP header nor its presence')];
        expect(saved.json).toMatchObject({ source: 'hap-edge', gateway: 'haproxy', name: 'fe_api', logFormat: 'fe_api', warnings: noDpop, problem: null });
        expect(saved.json.fields).toEqual(expect.arrayContaining(['token_fingerprint', 'auth_scheme', 'cert_x5t', 'tls_err_code', 'request_id', 'correlation_id']));
        expect(saved.json).not.toHaveProperty('config');
        // Admins see the text; a reader sees what is read, not the configuration.
        expect((await call('GET', '/api/v1/sources/hap-edge/log-format', admin)).json.config).toBe(config);
        const read = await call('GET', '/api/v1/sources/hap-edge/log-format', analyst);
        expect(read.status).toBe(200);
        expect(read.json).toMatchObject({ name: 'fe_api', sha256: saved.json.sha256 });
        expect(read.json).not.toHaveProperty('config');
        expect((await call('GET', '/api/v1/sources/log-formats', analyst)).json.logFormats).toEqual([
          expect.objectContaining({ source: 'hap-edge', gateway: 'haproxy', name: 'fe_api' }),
        ]);

        expect((await ingest('format=introspection', introspection)).json).toMatchObject({ linesRead: BINDING_MATRIX.length, accepted: BINDING_MATRIX.length, rejected: 0 });
        const r = await ingest('source=hap-edge&format=haproxy&findings=wait', log);
        expect(r.status, r.text).toBe(200);
        expect(r.json).toMatchObject({ format: 'haproxy', linesRead: lines(), accepted: BINDING_MATRIX.length, rejected: 0, logFormat: { gateway: 'haproxy', name: 'fe_api', warnings: noDpop } });

        // The case is the X-Request-ID the client sent (HAProxy's first capture): requests judged ok
        // are kept in the ledger without their URL, failures with it.
        const events = (await call('GET', '/api/v1/events?limit=100', admin)).json.items as Array<{ url: string | null; source: string; verdict: string; reason: string | null; correlationId: string | null }>;
        const mine = events.filter((e) => e.source === 'hap-edge');
        expect(mine).toHaveLength(BINDING_MATRIX.length);
        const got = Object.fromEntries(mine.map((e) => [e.correlationId?.replace(/^rid-/, ''), [e.verdict, e.reason]]));
        expect(got).toEqual(VERDICT);
        for (const e of mine) if (e.url !== null) expect(e.url).toBe(`/case/${e.correlationId?.replace(/^rid-/, '')}?via=test`);
      });

      it("the source's own key needs no format name: its saved log format reads the body (here: the same requests, duplicates)", async (ctx) => {
        if (!running) return ctx.skip();
        const r = await ingest('', log, sourceKey);
        expect(r.status, r.text).toBe(200);
        expect(r.json).toMatchObject({ format: 'haproxy', linesRead: lines(), accepted: 0, duplicates: BINDING_MATRIX.length, rejected: 0, logFormat: { name: 'fe_api' } });
        // A gateway format other than the saved one is refused rather than guessed at.
        const other = await ingest('format=nginx', log, sourceKey);
        expect(other.status).toBe(422);
        expect(other.json.detail).toContain('source hap-edge keeps a log format for haproxy, not nginx');
      });

      it('holdfast ingest --server --source saves the configuration on the source and streams the log', async (ctx) => {
        if (!running) return ctx.skip();
        const file = join(pki.dir, `haproxy-${runtime}.log`);
        writeFileSync(file, log);
        const cli = await runCli(['ingest', file, '--format', 'haproxy', '--gateway-config', configFile, '--log-format', 'fe_api', '--source', 'hap-cli', '--json', '--server', base, '--api-key', admin], { timeoutMs: 180_000 });
        expect(cli.code, cli.stderr).toBe(0);
        expect(JSON.parse(cli.stdout)).toMatchObject({ linesRead: lines(), accepted: BINDING_MATRIX.length, rejected: 0, logFormat: { gateway: 'haproxy', name: 'fe_api' } });
        expect((await call('GET', '/api/v1/sources/hap-cli/log-format', admin)).json).toMatchObject({ name: 'fe_api', config });
      }, 200_000);

      it('the audit log names the configuration by its SHA-256, never its text; DELETE removes it and gateway formats are refused again', async (ctx) => {
        if (!running) return ctx.skip();
        const entries = (await call('GET', '/api/v1/audit/entries', admin)).text.trim().split('\n').map((l) => JSON.parse(l) as { action: string; details: Record<string, unknown> });
        const saves = entries.filter((e) => e.action === 'source.log_format.save');
        expect(saves.map((e) => e.details.source)).toEqual(['hap-edge', 'hap-cli']);
        expect(saves[0]!.details.sha256).toBe(createHash('sha256').update(`haproxy\nfe_api\n${config}`).digest('hex'));
        const batch = entries.find((e) => e.action === 'ingest.batch' && e.details.source === 'hap-edge' && e.details.format === 'haproxy');
        expect(batch?.details.logFormat).toEqual({ gateway: 'haproxy', name: 'fe_api', sha256: saves[0]!.details.sha256 });
        const all = JSON.stringify(entries);
        expect(all).not.toContain('ssl_c_der');
        expect(all).not.toContain('unique-id-format');

        const removed = await call('DELETE', '/api/v1/sources/hap-edge/log-format', admin);
        expect(removed.status).toBe(200);
        expect(removed.json).toEqual({ source: 'hap-edge', removed: true });
        expect((await call('GET', '/api/v1/sources/hap-edge/log-format', admin)).status).toBe(404);
        expect((await ingest('source=hap-edge&format=haproxy', log)).status).toBe(422);
        expect((await call('GET', '/api/v1/audit/entries', admin)).text).toContain('"source.log_format.remove"');
      });
    });
  }
});
