import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHoldfastError } from '../errors.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { generateDemoEstate, generateDemoRawTokens } from './demo-estate.ts';
import { seedDemo } from './seed-demo.ts';
import { writeEstate } from './write-estate.ts';

const NOW = new Date('2026-11-22T08:00:00.000Z');
const pgUp = await postgresAvailable();

// Tables by name; `evidence.Request` is the request ledger (lib/services/evidence).
const count = async (t: TestDatabase, table: string) =>
  Number((await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table.includes('.') ? table.split('.').map((x) => `"${x}"`).join('.') : `"${table}"`}`))[0]?.n);

describe.each(RUNTIMES)('demo estate on %s', (runtime) => {
  const skip = runtime === 'postgres' && !pgUp;
  let t: TestDatabase;
  let counts: Awaited<ReturnType<typeof seedDemo>>;
  let ms = 0;

  beforeAll(async () => {
    if (skip) return;
    t = await openTestDatabase(runtime);
    const t0 = performance.now();
    counts = await seedDemo(t.db, { seed: 42, now: NOW });
    ms = performance.now() - t0;
  });
  afterAll(async () => {
    await t?.drop();
  });

  it.skipIf(skip)('writes the counts it reports, within a first start budget', async () => {
    expect(counts).toEqual({ identities: 320, tokens: 5200, certificates: 243, events: 50_000 });
    expect(await count(t, 'Identity')).toBe(counts.identities);
    expect(await count(t, 'Token')).toBe(counts.tokens);
    expect(await count(t, 'Certificate')).toBe(counts.certificates);
    expect(await count(t, 'evidence.Request')).toBe(counts.events);
    expect(await count(t, 'Source')).toBe(8);
    expect(await count(t, 'ExposureFinding')).toBeGreaterThan(30);
    // The issue's budget: a first `npm start` well under a minute. Seeding alone takes ~4 s on
    // an idle 2-core machine; the bound is loose because test files share those cores.
    console.info(`seedDemo on ${runtime}: ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(60_000);
  });

  it.skipIf(skip)('round-trips arrays, enums, timestamps and foreign keys', async () => {
    const estate = generateDemoEstate({ seed: 42, now: NOW });
    const first = estate.tokens.find((x) => x.scopes.length > 2 && x.audience.length > 1)!;
    const [row] = await t.db.query<{ scopes: string[]; audience: string[]; binding: string; expiresAt: Date | null; identity: string }>(
      `SELECT t.scopes, t.audience, t.binding::text AS binding, t."expiresAt", i.name AS identity
         FROM "Token" t JOIN "Identity" i ON i.id = t."identityId" WHERE t.id = $1`,
      [first.id],
    );
    expect(row?.scopes).toEqual(first.scopes);
    expect(row?.audience).toEqual(first.audience);
    expect(row?.binding).toBe(first.binding);
    expect(row?.expiresAt ? new Date(row.expiresAt).getTime() : null).toBe(first.expiresAt?.getTime() ?? null);
    expect(row?.identity).toBe(estate.identities.find((i) => i.id === first.identityId)?.name);
    const orphans = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "evidence"."Request" e LEFT JOIN "Token" t ON t.id = e."tokenId" WHERE e."tokenId" IS NOT NULL AND t.id IS NULL`,
    );
    expect(orphans[0]?.n).toBe(0);
    const bound = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Token" t JOIN "Certificate" c ON c.id = t."certificateId" WHERE t."cnfX5tS256" = c."x5tS256"`,
    );
    expect(bound[0]?.n).toBe(estate.tokens.filter((x) => x.binding === 'mtls').length);
  });

  it.skipIf(skip)('stores no raw token anywhere', async () => {
    const raw = generateDemoRawTokens({ seed: 42, now: NOW });
    for (const table of ['"Token"', '"evidence"."Request"', '"evidence"."Notable"', '"evidence"."Dim"', '"ExposureFinding"', '"Identity"', '"Certificate"', '"Source"']) {
      const [hit] = await t.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table} x WHERE row_to_json(x)::text ~ 'hfpat_|eyJ[A-Za-z0-9_-]+\\.eyJ'`,
      );
      expect(hit?.n, table).toBe(0);
    }
    const sample = raw.filter((_, i) => i % 50 === 0);
    const [exact] = await t.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "Token" WHERE fingerprint = ANY($1::text[]) OR jti = ANY($1::text[])`,
      [sample],
    );
    expect(exact?.n).toBe(0);
  });

  it.skipIf(skip)('refuses a second seed with a conflict and leaves the data as it was', async () => {
    const err = await seedDemo(t.db, { seed: 7, now: NOW }).catch((e: unknown) => e);
    expect(isHoldfastError(err) && err.code).toBe('conflict');
    expect((err as Error).message).toMatch(/already holds 320 identities/);
    expect(await count(t, 'Identity')).toBe(320);
    expect(await count(t, 'evidence.Request')).toBe(50_000);
  });

  it.skipIf(skip)('reuses a gateway source registered before seeding instead of colliding on its name', async () => {
    const fresh = await openTestDatabase(runtime);
    try {
      const [pre] = await fresh.db.query<{ id: string }>(
        `INSERT INTO "Source" (name, format) VALUES ('nginx-edge-1', 'nginx-json') RETURNING id::text AS id`,
      );
      const small = generateDemoEstate({ seed: 9, now: NOW, identities: 40, tokens: 300, events: 3000 });
      await writeEstate(fresh.db, small);
      expect(await count(fresh, 'Source')).toBe(8);
      const [row] = await fresh.db.query<{ n: number; total: number }>(
        `SELECT count(*)::int AS n, max(s."eventsTotal")::int AS total FROM "evidence"."Request" e
           JOIN "evidence"."Dim" d ON d.id = e."ns" JOIN "Source" s ON s.id::text = d."value" WHERE s.id = $1::uuid`,
        [pre!.id],
      );
      const expected = small.events.filter((e) => e.gateway === 'nginx-edge-1').length;
      expect(expected).toBeGreaterThan(0);
      expect(row).toEqual({ n: expected, total: expected });
    } finally {
      await fresh.drop();
    }
  });

  it.skipIf(skip)('writes all or nothing: a failing last chunk rolls the whole estate back', async () => {
    const fresh = await openTestDatabase(runtime);
    try {
      const small = generateDemoEstate({ seed: 5, now: NOW, identities: 40, tokens: 300, events: 2000 });
      // A token id that is not a uuid makes the very last write fail.
      const last = small.events[small.events.length - 1]!;
      const tokenId = last.tokenId;
      last.tokenId = 'not-a-uuid';
      await expect(writeEstate(fresh.db, small, { chunkSize: 500 })).rejects.toThrow();
      expect(await count(fresh, 'Identity')).toBe(0);
      expect(await count(fresh, 'Token')).toBe(0);
      expect(await count(fresh, 'evidence.Request')).toBe(0);
      // And the database is usable afterwards (no transaction left open).
      last.tokenId = tokenId;
      expect(await writeEstate(fresh.db, small)).toEqual({ identities: 40, tokens: 300, certificates: small.certificates.length, events: 2000 });
    } finally {
      await fresh.drop();
    }
  });
});
