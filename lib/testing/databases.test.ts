// The PGlite test template: a database restored from it is migrated, empty and independent of
// every other one restored from it.
import { describe, expect, it } from 'vitest';
import { migrateDatabase } from '../db/migrations.ts';
import { openTestDatabase } from './databases.ts';

describe('PGlite test databases restored from the migrated template', () => {
  it('are up to date, empty and independent of each other', async () => {
    const a = await openTestDatabase('pglite');
    const b = await openTestDatabase('pglite');
    try {
      expect(await migrateDatabase(a.db)).toEqual([]);
      expect(await a.db.prisma.identity.count()).toBe(0);
      await a.db.prisma.identity.create({ data: { name: 'only-in-a', kind: 'service' } });
      expect(await a.db.prisma.identity.count()).toBe(1);
      expect(await b.db.prisma.identity.count()).toBe(0);
    } finally {
      await a.drop();
      await b.drop();
    }
  });
});
