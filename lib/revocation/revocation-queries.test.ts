// Reading a revocation while the worker settles it, on PostgreSQL: the worker writes a leg's
// state and its revocation's state in one transaction, so a reader must never see one without
// the other. The commit is forced into the gap between Prisma's two statements (the revocation,
// then its legs) by holding back the legs' statement until another connection has committed.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, type TestDatabase } from '../testing/databases.ts';
import { requestRevocation } from './request-revocation.ts';
import { getRevocation, listRevocations } from './revocation-queries.ts';
import { makeIdentity, makeToken } from './testing/fixtures.ts';

const IN_CI = process.env.CI === 'true';
const available = await postgresAvailable();
if (!available && IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');

describe.runIf(available)('revocation reads on postgres: one snapshot for a revocation and its legs', () => {
  let t: TestDatabase;
  let other: pg.Client;
  const originalQuery = pg.Client.prototype.query;

  beforeAll(async () => {
    t = await openTestDatabase('postgres');
    other = new pg.Client({ connectionString: t.url });
    await other.connect();
  });
  afterAll(async () => {
    pg.Client.prototype.query = originalQuery;
    await other?.end();
    await t?.drop();
  });

  /**
   * Runs `read` with the first statement that selects from "RevocationLeg" held back until
   * `commit` has run on another connection: what a worker finishing the leg at that moment does.
   */
  async function withCommitBeforeLegRead<T>(commit: () => Promise<void>, read: () => Promise<T>): Promise<{ result: T; intercepted: boolean }> {
    let armed = true;
    let intercepted = false;
    const patched = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
      const text = typeof config === 'string' ? config : (config as { text?: string } | null)?.text;
      if (armed && this !== other && typeof text === 'string' && /^\s*SELECT\b/i.test(text) && text.includes('"RevocationLeg"')) {
        armed = false;
        intercepted = true;
        return commit().then(() => (originalQuery as (...a: unknown[]) => unknown).call(this, config, ...rest));
      }
      return (originalQuery as (...a: unknown[]) => unknown).call(this, config, ...rest);
    };
    pg.Client.prototype.query = patched as typeof pg.Client.prototype.query;
    try {
      return { result: await read(), intercepted };
    } finally {
      pg.Client.prototype.query = originalQuery;
    }
  }

  async function inProgressRevocation(): Promise<string> {
    const id = await makeIdentity(t.db);
    const { token } = await makeToken(t.db, id.id, { issuer: `https://as-${randomBytes(3).toString('hex')}.example.test` });
    const r = await requestRevocation(t.db, randomBytes(32), { tokenIds: [token.id], reason: 'snapshot test', actor: 'user:op@example.com' });
    await t.db.query(`UPDATE "RevocationLeg" SET state = 'in_progress', attempts = 1 WHERE "revocationId" = $1`, [r.id]);
    await t.db.query(`UPDATE "Revocation" SET state = 'in_progress' WHERE id = $1`, [r.id]);
    return r.id;
  }

  /** The worker's settlement of a failed leg: the leg and its revocation together. */
  const failTogether = (revocationId: string) => async () => {
    await other.query('BEGIN');
    await other.query(`UPDATE "RevocationLeg" SET state = 'failed', "lastError" = 'peer refused' WHERE "revocationId" = $1`, [revocationId]);
    await other.query(`UPDATE "Revocation" SET state = 'failed', "completedAt" = now() WHERE id = $1`, [revocationId]);
    await other.query('COMMIT');
  };

  it('GET /revocations/{id}: a leg failed in the same commit as its revocation is never read under the old revocation state', async () => {
    const id = await inProgressRevocation();
    const { result, intercepted } = await withCommitBeforeLegRead(failTogether(id), () => getRevocation(t.db, id));
    expect(intercepted).toBe(true);
    // Either before the commit or after it, never half of each.
    expect([result.state, ...result.legs.map((l) => l.state)]).toEqual(['in_progress', 'in_progress']);
    const after = await getRevocation(t.db, id);
    expect([after.state, ...after.legs.map((l) => l.state)]).toEqual(['failed', 'failed']);
  });

  it('GET /revocations: the list reads each revocation with its legs from one snapshot too', async () => {
    const id = await inProgressRevocation();
    const { result, intercepted } = await withCommitBeforeLegRead(failTogether(id), () => listRevocations(t.db, { limit: 200 }));
    expect(intercepted).toBe(true);
    const mine = result.revocations.find((r) => r.id === id)!;
    expect([mine.state, ...mine.legs.map((l) => l.state)]).toEqual(['in_progress', 'in_progress']);
  });
});
