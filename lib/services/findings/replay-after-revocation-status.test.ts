// replay_after_revocation says how many requests after the revocation a gateway accepted, judged
// by the status it answered, as the revocation receipts judge them: a revoked bearer token refused
// with 401 still has the verdict bearer_unbound, and once read "accepted" (a black-box run found
// "2 requests were accepted" for two 401s while the receipt said effective). On both runtimes.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { onEachRuntime, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream } from '../ingest/index.ts';
import { evaluateFindings } from './index.ts';

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const TOKEN = `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', sub: 'svc-r', client_id: 'svc-r', jti: randomUUID(), exp: 4_000_000_000 })}.c2ln`;
const AT = Date.UTC(2026, 11, 4, 10, 15);

const line = (i: number, status: number) =>
  JSON.stringify({
    time: new Date(AT + i * 60_000).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: `${String(i).padStart(4, '0')}${'cd'.repeat(14)}`, remote_addr: '10.1.0.7',
    method: 'GET', scheme: 'https', host: 'api.test', uri: '/api/r', status, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', http_authorization: `Bearer ${TOKEN}`,
  });

describe('replay_after_revocation counts accepted requests by status', () => {
  it('two 401s and one 200 after the revocation: presented 3 times, 1 accepted (both runtimes)', async () => {
    const results = await onEachRuntime(async (t: TestDatabase) => {
      const ingest = async (lines: string[], nowMs: number) => {
        const r = await ingestStream(t.db, [lines.join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test', now: () => new Date(nowMs) });
        expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: lines.length, rejected: 0 });
      };
      await ingest([line(1, 200)], AT + 2 * 60_000);
      // Revoked (confirmed) between the first request and the next ones.
      await t.db.query(`UPDATE "Token" SET status = 'revoked', "revokedAt" = $1 WHERE "clientId" = 'svc-r'`, [new Date(AT + 5 * 60_000)]);
      await ingest([line(10, 401), line(11, 401), line(12, 200)], AT + 15 * 60_000);
      await evaluateFindings(t.db, { now: new Date(AT + 20 * 60_000), actor: 'test' });
      const [f] = await t.db.query<{ evidence: { eventsAfterRevocation: number; acceptedAfterRevocation: number }; explanation: string }>(
        `SELECT evidence, explanation FROM "Finding" WHERE rule = 'replay_after_revocation'`,
      );
      return { evidence: f?.evidence, explanation: f?.explanation };
    });
    for (const [runtime, r] of results) {
      if (!r) continue;
      expect(r.evidence, runtime).toMatchObject({ eventsAfterRevocation: 3, acceptedAfterRevocation: 1 });
      expect(r.explanation, runtime).toContain('presented 3 times since, and 1 request was accepted');
    }
  }, 180_000);
});
