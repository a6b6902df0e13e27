// A real HAProxy writes lines that are no request into its access log: a refused TLS handshake
// (`127.0.0.1:port [date] fe/1: SSL handshake failure`) and, on stdout, its proxy start/stop
// messages. Each is counted as a skipped line (service_line), so a batch's counts add up:
// linesRead = accepted + rejected + duplicates + skipped. On both runtimes.
// Skips when haproxy is not installed, unless CI=true (then it must run).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from './pipeline.ts';

const HAPROXY = findHaproxy();
const IN_CI = process.env.CI === 'true';
if (!HAPROXY && !IN_CI) console.warn('skipped-lines-real.test.ts: skipped — haproxy is not installed (apt-get install -y haproxy); set CI=true to make this a failure');
const describeHaproxy = HAPROXY || IN_CI ? describe : describe.skip;
const PORT = 19_511;

describeHaproxy('real HAProxy: handshake failures in the access log are counted as skipped lines', () => {
  let pki: GatewayPki;
  let config = '';
  let log = '';
  const dbs: TestDatabase[] = [];

  beforeAll(async () => {
    if (!HAPROXY) throw new Error('CI=true but haproxy is not installed: apt-get install -y haproxy');
    pki = createGatewayPki('hv-skipped-');
    const pem = join(pki.dir, 'server.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const haproxy = await startHaproxy(HAPROXY, pki.dir, 'haproxy', `${HAPROXY_TEST_HEAD}
frontend fe
  log stdout len 16384 format raw local0
  bind 127.0.0.1:${PORT} ssl crt ${pem} verify required ca-file ${pki.caPath}
  log-format "%ci:%cp [%tr] %ft %ST %{+Q}r used=%[ssl_c_used] verify=%[ssl_c_verify] sdn=%{+Q}[ssl_c_s_dn] serial=%[ssl_c_serial,hex] x5t=%[ssl_c_der,sha2(256),ub64enc]"
  http-request return status 200 content-type text/plain string ok
`, [PORT]);
    config = readFileSync(join(pki.dir, 'haproxy.cfg'), 'utf8');
    expect((await tlsRequest(pki, { port: PORT, path: '/a', client: 'good' })).status).toBe(200);
    // No client certificate where one is required: the handshake fails, HAProxy logs a connection error.
    await expect(tlsRequest(pki, { port: PORT, path: '/b', client: null })).rejects.toThrow();
    expect((await tlsRequest(pki, { port: PORT, path: '/c', client: 'good' })).status).toBe(200);
    await haproxy.stop();
    log = readFileSync(haproxy.logFile, 'utf8');
  }, 60_000);

  afterAll(async () => {
    for (const t of dbs.splice(0)) await t.drop();
    pki?.cleanup();
  });

  it('the real log holds the handshake failure line', () => {
    expect(log).toMatch(/^127\.0\.0\.1:\d+ \[[^\]]+\] fe\/1: SSL handshake failure/m);
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime}: linesRead = accepted + rejected + duplicates + skipped, the failure counted as a service line`, async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const s = await ingestStream(t.db, [log], { format: 'haproxy', gatewayConfig: config, sourceName: 'hv-haproxy', actor: 'test' });
      const lines = log.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1).length;
      expect(s, JSON.stringify(s.errors)).toMatchObject({ linesRead: lines, accepted: 2, rejected: 0, duplicates: 0 });
      expect(s.skippedReasons.service_line).toBeGreaterThanOrEqual(1);
      expect(s.linesRead).toBe(s.accepted + s.rejected + s.duplicates + s.skipped);
      const [b] = await t.db.query<{ linesRead: number; skipped: number; skippedReasons: Record<string, number> }>(
        `SELECT "linesRead", skipped, "skippedReasons" FROM "IngestBatch" WHERE id = $1::uuid`, [s.batchId],
      );
      expect(b).toEqual({ linesRead: s.linesRead, skipped: s.skipped, skippedReasons: s.skippedReasons });
    });
  }
});
