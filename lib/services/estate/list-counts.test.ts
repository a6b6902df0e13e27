// List totals, page offsets and sort orders over the demo estate, on both runtimes: the total
// a view shows is the number of rows its pages walk, the second page starts at the first page's
// size, and every sortable column orders the rows it says.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../../seed/seed-demo.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { evaluateFindings } from '../findings/index.ts';
import { IDENTITY_SORTS, listEvents, listIdentities, listTokens, parseEventFilters, parseIdentityFilters, parseTokenFilters, TOKEN_SORTS } from './lists.ts';
import type { Page, Params } from './query.ts';

const NOW = new Date();

async function walk<T>(list: (p: Params) => Promise<Page<T>>): Promise<{ rows: T[]; pages: Page<T>[] }> {
  const rows: T[] = [];
  const pages: Page<T>[] = [];
  let after: string | null = null;
  do {
    const page: Page<T> = await list(after ? { after } : {});
    pages.push(page);
    rows.push(...page.items);
    after = page.nextCursor;
  } while (after && pages.length < 200);
  return { rows, pages };
}

describe.each(RUNTIMES)('list totals and sorts (%s)', (runtime) => {
  let t: TestDatabase | undefined;
  beforeAll(async () => {
    if (runtime === 'postgres' && !(await postgresAvailable())) return;
    t = await openTestDatabase(runtime);
    await seedDemo(t.db, { seed: 7, now: NOW });
    await evaluateFindings(t.db, { now: NOW, actor: 'test' });
  }, 120_000);
  afterAll(async () => {
    await t?.drop();
  });

  it('a token list answers the total its pages walk and each page its offset, for every sort', async (ctx) => {
    if (!t) return ctx.skip();
    for (const sort of TOKEN_SORTS) {
      const f = { ...parseTokenFilters({ binding: 'bearer' }), sort, limit: 40 };
      const { rows, pages } = await walk((p) => listTokens(t!.db, f, p, { count: true }));
      expect(pages.length, sort).toBeGreaterThan(1);
      expect(new Set(rows.map((r) => r.id)).size, sort).toBe(rows.length);
      for (const [i, pg] of pages.entries()) {
        expect(pg.total, sort).toBe(rows.length);
        expect(pg.offset, `${sort} page ${i + 1}`).toBe(i * 40);
      }
      const keyed = rows.map((r) => ({ ttl: r.ttlSeconds ?? Infinity, exp: r.expiresAt ? Date.parse(r.expiresAt) : Infinity, identity: r.identity, last: r.lastSeenAt ? Date.parse(r.lastSeenAt) : 0 }));
      for (let i = 1; i < keyed.length; i++) {
        const a = keyed[i - 1]!;
        const b = keyed[i]!;
        if (sort === 'ttl') expect(a.ttl).toBeGreaterThanOrEqual(b.ttl);
        if (sort === 'expires') expect(a.exp).toBeLessThanOrEqual(b.exp);
        if (sort === 'lastSeen') expect(a.last).toBeGreaterThanOrEqual(b.last);
      }
      if (sort === 'identity') {
        // The database's collation orders names; the walk must follow it without repeating a name run.
        const runs = keyed.map((k) => k.identity).filter((n, i, a) => i === 0 || a[i - 1] !== n);
        expect(new Set(runs).size).toBe(runs.length);
      }
    }
    // Without `count`, no extra query and no figures.
    const plain = await listTokens(t.db, parseTokenFilters({}), {});
    expect(plain.total).toBeUndefined();
  });

  it('the Tokens page default is riskiest first; the API keeps id order without a risk filter', () => {
    expect(parseTokenFilters({}, 50, 'risk').sort).toBe('risk');
    expect(parseTokenFilters({}).sort).toBe('id');
    expect(parseTokenFilters({ risk: 'high' }).sort).toBe('risk');
  });

  it('an identity list answers its total for every sort, and findings sort puts the most open findings first', async (ctx) => {
    if (!t) return ctx.skip();
    for (const sort of IDENTITY_SORTS) {
      const f = { ...parseIdentityFilters({}), sort, limit: 25 };
      const { rows, pages } = await walk((p) => listIdentities(t!.db, f, p, { count: true }));
      expect(new Set(rows.map((r) => r.id)).size, sort).toBe(rows.length);
      for (const [i, pg] of pages.entries()) {
        expect(pg.total, sort).toBe(rows.length);
        expect(pg.offset, sort).toBe(i * 25);
      }
      if (sort === 'findings') for (let i = 1; i < rows.length; i++) expect(rows[i - 1]!.openFindings).toBeGreaterThanOrEqual(rows[i]!.openFindings);
    }
  });

  it('binding failures (notable only) answer a total and offsets; a list that merges ok requests does not', async (ctx) => {
    if (!t) return ctx.skip();
    const f = { ...parseEventFilters({ failures: 'binding' }), limit: 500 };
    const { rows, pages } = await walk((p) => listEvents(t!.db, f, p, { count: true }));
    expect(pages.length).toBeGreaterThan(1);
    for (const [i, pg] of pages.entries()) {
      expect(pg.total).toBe(rows.length);
      expect(pg.offset).toBe(i * 500);
    }
    const any = await listEvents(t.db, parseEventFilters({}), {}, { count: true });
    expect(any.total).toBeUndefined();
  });
});
