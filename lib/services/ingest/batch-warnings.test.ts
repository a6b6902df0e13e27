// What a batch could not tell is said once in its summary: a Caddy log whose Authorization was
// redacted (no token was ever seen: every request reads ok / binding_unknown, no finding can come
// of it) and a forwarded certificate header that does not decode. Real Caddy lines, both runtimes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream, type IngestSummary } from './index.ts';
import { allEvents } from './testing/stored-events.ts';
import { CADDY_BACKEND_UNDECODABLE_CERT_LINE, CADDY_EDGE_REDACTED_LINES } from './testing/caddy-redacted-lines.ts';

for (const runtime of RUNTIMES) {
  describe(`ingest summary warnings (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let edge: IngestSummary;
    let backend: IngestSummary;
    let verdicts: string[] = [];

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      edge = await ingestStream(t.db, [`${CADDY_EDGE_REDACTED_LINES.join('\n')}\n`], { format: 'caddy', sourceName: 'caddy-edge', actor: 'test' });
      backend = await ingestStream(t.db, [`${CADDY_BACKEND_UNDECODABLE_CERT_LINE}\n`], { format: 'caddy', sourceName: 'caddy-backend', actor: 'test' });
      verdicts = (await allEvents(t.db)).filter((e) => e.source === 'caddy-edge').map((e) => `${e.verdict}/${e.reason}`);
    }, 120_000);
    afterAll(async () => t?.drop());

    it('Caddy redacted Authorization on every line: one warning for the batch, saying the binding is unknown', () => {
      if (!t) return;
      expect(edge).toMatchObject({ accepted: 4, rejected: 0 });
      expect(verdicts).toEqual(Array(4).fill('ok/binding_unknown'));
      expect(edge.warnings).toHaveLength(1);
      expect(edge.warnings![0]).toMatch(/^4 of 4 requests logged an empty Authorization header \(Caddy redacts it unless log_credentials is on\)/);
      expect(edge.warnings![0]).toContain('binding_unknown');
    });

    it('a Client-Cert that is not a certificate is said, not read silently as no certificate', () => {
      if (!t) return;
      expect(backend).toMatchObject({ accepted: 1, rejected: 0 });
      // Caddy redacted this line's Authorization too: that warning comes first.
      expect(backend.warnings).toEqual([
        expect.stringMatching(/^1 of 1 requests logged an empty Authorization header/),
        expect.stringMatching(/^1 line carried a client-cert header that is not a certificate Holdfast can decode \(malformed: /),
      ]);
    });

    it('a batch with nothing to say has no warnings field', async () => {
      if (!t) return;
      const o = JSON.parse(CADDY_BACKEND_UNDECODABLE_CERT_LINE) as { request: { headers: Record<string, unknown> } };
      delete o.request.headers['Client-Cert'];
      delete o.request.headers.Authorization;
      const quiet = await ingestStream(t.db, [`${JSON.stringify(o)}\n`], { format: 'caddy', sourceName: 'quiet', actor: 'test' });
      expect(quiet.accepted + quiet.duplicates).toBe(1);
      expect(quiet).not.toHaveProperty('warnings');
    });
  });
}
