// A token revoked through Holdfast and then seen again in a gateway log raises the critical
// `replay_after_revocation` finding (the findings engine reads Token.revokedAt, which the
// revocation worker sets when the token's issuer confirmed). A revocation no peer carried out
// leaves the token valid at its issuer: its later use is no replay after revocation.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateFindings } from '../services/findings/evaluate.ts';
import { ingestStream } from '../services/ingest/pipeline.ts';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { requestRevocation } from './request-revocation.ts';
import { runRevocationWorker } from './run-revocation-worker.ts';
import { makeIdentity, makeToken, startWebhookReceiver, type WebhookReceiver } from './testing/fixtures.ts';

const key = randomBytes(32);
const HMAC = 'replay-webhook-secret-0123456789';

describe('revoked through Holdfast, then replayed', () => {
  let t: TestDatabase;
  let hook: WebhookReceiver;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    hook = await startWebhookReceiver(HMAC);
    await createConnector(t.db, key, { name: 'hook', kind: 'webhook', matchIssuer: 'https://as.example.test', config: { url: hook.url }, secrets: { hmacSecret: HMAC } }, 'test');
  });
  afterAll(async () => {
    await hook?.close();
    await t?.drop();
  });

  it('raises replay_after_revocation (critical) for the revoked token only', async () => {
    const id = await makeIdentity(t.db);
    const { token } = await makeToken(t.db, id.id);
    const { token: other } = await makeToken(t.db, id.id);
    // Its issuer has no connector: this revocation fails, the token stays valid.
    const { token: unserved } = await makeToken(t.db, id.id, { issuer: 'https://unserved.example.test' });
    const at = new Date(Date.now() - 60_000);
    await requestRevocation(t.db, key, { tokenIds: [token.id, unserved.id], reason: 'leaked', actor: 'test', now: at });
    await runRevocationWorker(t.db, { connectors: dbConnectorResolver(t.db, key), key, workerId: 'w', now: () => new Date(at.getTime() + 10_000), timeoutMs: 8000 });
    expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: unserved.id } })).status).toBe('active');
    // The three tokens seen by a gateway 30 s after the revocation, through ingest.
    const lines = [token, other, unserved].map((tk, i) =>
      JSON.stringify({
        time: new Date(at.getTime() + 30_000).toISOString(), request_id: `replay-${i}`, method: 'GET', uri: '/x', status: 200,
        ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0', token_sha256: tk.fingerprint,
      }),
    );
    const r = await ingestStream(t.db, [lines.join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
    expect(r.accepted).toBe(3);
    await evaluateFindings(t.db, { now: new Date() });
    const findings = await t.db.prisma.finding.findMany({ where: { rule: 'replay_after_revocation' } });
    expect(findings.map((f) => [f.tokenId, f.severity])).toEqual([[token.id, 'critical']]);
  });
});
