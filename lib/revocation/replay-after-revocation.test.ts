// A token revoked through Holdfast and then seen again in a gateway log raises the critical
// `replay_after_revocation` finding (the findings engine reads Token.revokedAt, which
// requestRevocation sets in its transaction, before any peer has answered).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateFindings } from '../services/findings/evaluate.ts';
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
    for (const [tk, i] of [[token, 1], [other, 2]] as const) {
      await t.db.prisma.bindingEvent.create({
        data: { dedupeKey: `replay-${i}`, occurredAt: new Date(at.getTime() + 30_000), identityId: id.id, tokenId: tk.id, tokenFingerprint: tk.fingerprint, verdict: 'bearer_unbound', httpStatus: 200, authScheme: 'Bearer' },
      });
    }
    await evaluateFindings(t.db, { now: new Date() });
    const findings = await t.db.prisma.finding.findMany({ where: { rule: 'replay_after_revocation' } });
    expect(findings.map((f) => [f.tokenId, f.severity])).toEqual([[token.id, 'critical']]);
  });
});
