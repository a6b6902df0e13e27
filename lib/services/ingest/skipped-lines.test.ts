// Lines that hold no request are counted, per reason, so a batch's counts add up:
// linesRead = accepted + rejected + duplicates + skipped. On both runtimes.
import { afterAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from './pipeline.ts';

// Caddy 2.6 writes its TLS handshake errors (logger http.stdlib, level debug) and server messages into
// the same JSON stream when the access log goes to the default logger.
const CADDY = [
  '{"level":"info","ts":1796379200.1,"logger":"http","msg":"server running","name":"srv0","protocols":["h1","h2","h3"]}',
  '{"level":"debug","ts":1796379208.2,"logger":"http.stdlib","msg":"http: TLS handshake error from 127.0.0.1:40962: tls: client didn\'t provide a certificate"}',
  '{"level":"info","ts":1796379208.456,"logger":"http.log.access.log0","msg":"handled request","request":{"remote_ip":"127.0.0.1","remote_port":"40964","proto":"HTTP/2.0","method":"GET","host":"api.test:18443","uri":"/x","headers":{"Authorization":[],"X-Request-Id":["rid-1"]},"tls":{"resumed":false,"version":772,"cipher_suite":4865,"proto":"h2","server_name":"api.test","client_common_name":"svc-a","client_serial":"4097"}},"duration":0.0004,"size":2,"status":200,"resp_headers":{}}',
  '',
  '{"level":"error","ts":1796379209.1,"logger":"http.log.error.log0","msg":"no upstreams available","request":{"method":"GET","uri":"/y"},"status":502}',
  'not json',
];

for (const runtime of RUNTIMES) {
  describe(`skipped lines are counted (${runtime})`, () => {
    const dbs: TestDatabase[] = [];
    afterAll(async () => {
      for (const t of dbs.splice(0)) await t.drop();
    });

    it('Caddy: TLS handshake errors and server lines are service lines, a blank line no record; the counts add up', async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const s = await ingestStream(t.db, [CADDY.join('\n') + '\n'], { format: 'caddy', sourceName: 'hv-caddy', actor: 'test', now: () => new Date(1796379300_000) });
      expect(s, JSON.stringify(s.errors)).toMatchObject({ linesRead: 6, accepted: 1, rejected: 1, duplicates: 0, skipped: 4, skippedReasons: { service_line: 3, no_record: 1 } });
      expect(s.linesRead).toBe(s.accepted + s.rejected + s.duplicates + s.skipped);
      // Sent again: the request is a duplicate, the other lines skipped again.
      const again = await ingestStream(t.db, [CADDY.join('\n') + '\n'], { format: 'caddy', sourceName: 'hv-caddy', actor: 'test', now: () => new Date(1796379300_000) });
      expect(again).toMatchObject({ linesRead: 6, accepted: 0, rejected: 1, duplicates: 1, skipped: 4 });
    });
  });
}
