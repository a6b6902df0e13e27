import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { appendAuditEntry } from './append-audit-entry.ts';
import { canonicalJson } from './hash.ts';
import { verifyAuditChain } from './verify-audit-chain.ts';

describe('canonicalJson', () => {
  it('sorts keys at every level so equal content hashes equally', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});

for (const runtime of RUNTIMES) {
  describe(`audit hash chain on ${runtime}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      for (let i = 0; i < 5; i++) {
        await t.db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'user:a@example.com', action: 'test.action', target: `thing:${i}`, details: { i, nested: { z: 1, a: [1, 2] } } }));
      }
    });
    afterAll(async () => t?.drop());

    it('verifies an intact chain', async (ctx) => {
      if (!t) ctx.skip();
      expect(await verifyAuditChain(t.db)).toMatchObject({ ok: true, entries: 5, firstBadEntry: null });
    });

    it('chains concurrent appends without forks', async (ctx) => {
      if (!t) ctx.skip();
      await Promise.all(
        Array.from({ length: 6 }, (_, i) => t.db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'system', action: 'concurrent', details: { i } }))),
      );
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it('an entry rolled back with its transaction leaves no trace', async (ctx) => {
      if (!t) ctx.skip();
      const before = await t.db.prisma.auditEntry.count();
      await expect(
        t.db.prisma.$transaction(async (tx) => {
          await appendAuditEntry(tx, { actor: 'system', action: 'doomed' });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(await t.db.prisma.auditEntry.count()).toBe(before);
    });

    it('detects a row modified directly in the database, at that row', async (ctx) => {
      if (!t) ctx.skip();
      const third = (await t.db.prisma.auditEntry.findMany({ orderBy: { seq: 'asc' }, skip: 2, take: 1 }))[0]!;
      await t.db.query(`UPDATE "AuditEntry" SET "details" = '{"i":99}'::jsonb WHERE "seq" = $1`, [third.seq.toString()]);
      const r = await verifyAuditChain(t.db);
      expect(r).toMatchObject({ ok: false, firstBadEntry: third.seq.toString() });
      expect(r.problem).toMatch(/modified/);
      // Put the original content back: the chain is whole again.
      await t.db.query(`UPDATE "AuditEntry" SET "details" = $2::jsonb WHERE "seq" = $1`, [third.seq.toString(), JSON.stringify(third.details)]);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it('detects a deleted row at the entry after it', async (ctx) => {
      if (!t) ctx.skip();
      const rows = await t.db.prisma.auditEntry.findMany({ orderBy: { seq: 'asc' } });
      const victim = rows[rows.length - 2]!;
      await t.db.query(`DELETE FROM "AuditEntry" WHERE "seq" = $1`, [victim.seq.toString()]);
      const r = await verifyAuditChain(t.db);
      expect(r).toMatchObject({ ok: false, firstBadEntry: rows[rows.length - 1]!.seq.toString() });
      expect(r.problem).toMatch(/removed or reordered/);
    });
  });
}
