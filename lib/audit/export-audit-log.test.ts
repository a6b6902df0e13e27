import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { appendAuditEntry } from './append-audit-entry.ts';
import { auditLogJsonLines } from './export-audit-log.ts';
import { auditEntryHash, GENESIS_HASH } from './hash.ts';

for (const runtime of RUNTIMES) {
  describe(`audit JSON-lines export on ${runtime}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      for (let i = 0; i < 7; i++) await t.db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'system', action: 'x', details: { i } }));
    });
    afterAll(async () => t?.drop());

    it('streams every entry in chain order across pages, and a receiver can re-verify the chain', async (ctx) => {
      if (!t) ctx.skip();
      const lines: string[] = [];
      for await (const l of auditLogJsonLines(t.db, { pageSize: 3 })) lines.push(l);
      expect(lines).toHaveLength(7);
      let prev = GENESIS_HASH;
      for (const l of lines) {
        expect(l.endsWith('\n')).toBe(true);
        const e = JSON.parse(l);
        expect(e.prevHash).toBe(prev);
        expect(auditEntryHash(prev, { at: new Date(e.at), actor: e.actor, action: e.action, target: e.target, details: e.details })).toBe(e.hash);
        prev = e.hash;
      }
    });

    it('resumes after a sequence number', async (ctx) => {
      if (!t) ctx.skip();
      const all: string[] = [];
      for await (const l of auditLogJsonLines(t.db)) all.push(l);
      const third = JSON.parse(all[2]!).seq as string;
      const rest: string[] = [];
      for await (const l of auditLogJsonLines(t.db, { afterSeq: BigInt(third) })) rest.push(l);
      expect(rest).toEqual(all.slice(3));
    });
  });
}
