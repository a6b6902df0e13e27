// A token revoked through Holdfast and then seen again in a gateway log raises the critical
// `replay_after_revocation` finding (the findings engine reads Token.revokedAt, which
// requestRevocation sets in its transaction, before any peer has answered).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateFindings } from '../services/findings/evaluate.ts';
import { ingestStream } from '../services/ingest/pipeline.ts';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { requestRevocation } from './request-revocation.ts';
import { makeIdentity, makeToken } from './testing/fixtures.ts';

describe('revoked through Holdfast, then replayed', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('raises replay_after_revocation (critical) for the revoked token only', async () => {
    const id = await makeIdentity(t.db);
    const { token } = await makeToken(t.db, id.id);
    const { token: other } = await makeToken(t.db, id.id);
    const at = new Date(Date.now() - 60_000);
    await requestRevocation(t.db, randomBytes(32), { tokenIds: [token.id], reason: 'leaked', actor: 'test', now: at });
    // Both tokens seen by a gateway 30 s after the revocation, through ingest.
    const lines = [token, other].map((tk, i) =>
      JSON.stringify({
        time: new Date(at.getTime() + 30_000).toISOString(), request_id: `replay-${i}`, method: 'GET', uri: '/x', status: 200,
        ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0', token_sha256: tk.fingerprint,
      }),
    );
    const r = await ingestStream(t.db, [lines.join('\n') + '\n'], { format: 'nginx-json', sourceName: 'edge', actor: 'test' });
    expect(r.accepted).toBe(2);
    await evaluateFindings(t.db, { now: new Date() });
    const findings = await t.db.prisma.finding.findMany({ where: { rule: 'replay_after_revocation' } });
    expect(findings.map((f) => [f.tokenId, f.severity])).toEqual([[token.id, 'critical']]);
  });
});
