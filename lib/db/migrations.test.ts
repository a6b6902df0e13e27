// migrateDatabase's fast path: an up-to-date database is recognised from "_prisma_migrations"
// without starting the schema engine; anything else still goes to the engine.
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrateDatabase } from './migrations.ts';
import { openDatabase } from './open.ts';

const names = readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

it('applies every migration to a fresh database, then finds nothing to do; a half-applied one still goes to the engine, which refuses it', async () => {
  const db = await openDatabase({ kind: 'memory' });
  try {
    expect((await migrateDatabase(db)).sort()).toEqual(names);
    expect(await migrateDatabase(db)).toEqual([]);
    await db.query(`UPDATE "_prisma_migrations" SET finished_at = NULL WHERE migration_name = $1`, [names.at(-1)]);
    await expect(migrateDatabase(db)).rejects.toThrow(/fail/i);
  } finally {
    await db.close();
  }
}, 120_000);
