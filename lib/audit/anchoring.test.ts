// The anchor writer and the chain from before MACs: the anchor follows committed appends (never
// a rolled-back one), is written once more on stop, refuses to move over a truncation, and
// entries written before MACs existed stay verifiable and are pinned by what comes after them.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { isHoldfastError } from '../errors.ts';
import { openDatabase } from '../db/open.ts';
import { registerSecretKey } from '../server/secret-key.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { readAnchorFile } from './anchor-file.ts';
import { anchorFileFor, registeredAuditAnchoring, startAuditAnchoring } from './anchoring.ts';
import { appendAuditEntry } from './append-audit-entry.ts';
import { auditEntryHash, GENESIS_HASH } from './hash.ts';
import { auditKeys } from './mac.ts';
import { auditRows, rewriteAndRelink } from './testing/tamper.ts';
import { verifyAuditChain } from './verify-audit-chain.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'holdfast-anchor-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const anchoredSeq = (file: string) => {
  const r = readAnchorFile(auditKeys().anchor, file);
  return r.kind === 'ok' ? r.anchor.seq : null;
};

async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Db = TestDatabase['db'];
const append = (db: Db, action = 'test.action') => db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'system', action }));

/** Rows as an older Holdfast wrote them: hash-chained, no MAC. */
async function insertLegacyEntries(db: Db, count: number): Promise<void> {
  const [last] = await db.query<{ hash: string }>(`SELECT hash FROM "AuditEntry" ORDER BY seq DESC LIMIT 1`);
  let prev = last?.hash ?? GENESIS_HASH;
  for (let i = 0; i < count; i++) {
    const content = { at: new Date(Math.floor(Date.now())), actor: 'user:old@example.com', action: 'user.create', target: `user:${i}@example.com`, details: { role: 'analyst' } };
    const hash = auditEntryHash(prev, content);
    await db.query(`INSERT INTO "AuditEntry" (at, actor, action, target, details, "prevHash", hash) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7)`, [
      content.at.toISOString(), content.actor, content.action, content.target, JSON.stringify(content.details), prev, hash,
    ]);
    prev = hash;
  }
}

/** What an attacker can do to entries without MACs: new content, every hash recomputed and re-linked. */
async function rewriteLegacyFrom(db: Db, fromSeq: bigint, upToSeq: bigint): Promise<void> {
  await rewriteAndRelink(db, await auditRows(db, { from: fromSeq.toString(), to: upToSeq.toString() }), { role: 'admin' });
}

for (const runtime of RUNTIMES) {
  describe(`audit anchoring on ${runtime}`, () => {
    let t: TestDatabase;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      registerSecretKey(randomBytes(32));
      t = await openTestDatabase(runtime);
    });
    afterAll(async () => {
      await registeredAuditAnchoring()?.stop();
      registerSecretKey(undefined);
      await t?.drop();
    });
    beforeEach(async () => {
      await t?.db.query(`DELETE FROM "AuditEntry"`);
    });

    it('anchors the committed head within the interval after an append', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      const w = startAuditAnchoring(t.db, { file, intervalMs: 50 });
      try {
        const { seq } = await append(t.db);
        await eventually(() => anchoredSeq(file) === seq);
        const next = await append(t.db);
        await eventually(() => anchoredSeq(file) === next.seq);
      } finally {
        await w.stop();
      }
      expect(registeredAuditAnchoring()).toBeUndefined();
    });

    it('anchors an append whose transaction commits after the writer first looked', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      const first = await append(t.db);
      const w = startAuditAnchoring(t.db, { file, intervalMs: 50 });
      try {
        await eventually(() => anchoredSeq(file) === first.seq);
        const late = await t.db.prisma.$transaction(async (tx) => {
          const r = await appendAuditEntry(tx, { actor: 'system', action: 'slow.change' });
          await new Promise((res) => setTimeout(res, 300)); // several intervals pass before COMMIT
          return r;
        });
        await eventually(() => anchoredSeq(file) === late.seq);
      } finally {
        await w.stop();
      }
    });

    it('never anchors an append whose transaction rolled back', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      const kept = await append(t.db);
      const w = startAuditAnchoring(t.db, { file, intervalMs: 30, patience: 5 });
      try {
        await eventually(() => anchoredSeq(file) === kept.seq);
        await expect(
          t.db.prisma.$transaction(async (tx) => {
            await appendAuditEntry(tx, { actor: 'system', action: 'doomed' });
            throw new Error('the change failed');
          }),
        ).rejects.toThrow('the change failed');
        await new Promise((r) => setTimeout(r, 300));
        expect(anchoredSeq(file)).toBe(kept.seq);
      } finally {
        await w.stop();
      }
      expect((await verifyAuditChain(t.db, { anchorFile: file })).ok).toBe(true);
    });

    it('writes at most once per interval, and stop() anchors the appends made since', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      const first = await append(t.db);
      const w = startAuditAnchoring(t.db, { file, intervalMs: 60_000 });
      await w.flush();
      expect(anchoredSeq(file)).toBe(first.seq);
      const second = await append(t.db);
      await new Promise((r) => setTimeout(r, 300));
      expect(anchoredSeq(file)).toBe(first.seq); // inside the interval: not yet
      await w.stop();
      expect(anchoredSeq(file)).toBe(second.seq);
    });

    it('does not move the anchor over a truncated tail, and logs why once', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      const logs: string[] = [];
      await append(t.db);
      const victim = await append(t.db);
      const w = startAuditAnchoring(t.db, { file, intervalMs: 30, log: (l) => logs.push(l) });
      try {
        await eventually(() => anchoredSeq(file) === victim.seq);
        await t.db.query(`DELETE FROM "AuditEntry" WHERE seq = $1::bigint`, [victim.seq.toString()]);
        await append(t.db, 'after.truncation');
        await append(t.db, 'after.truncation');
        expect(await w.flush()).toMatchObject({ kind: 'refused', why: `anchored entry ${victim.seq} is missing` });
        expect(anchoredSeq(file)).toBe(victim.seq);
      } finally {
        await w.stop();
      }
      expect(logs.filter((l) => /audit anchor not moved: anchored entry \d+ is missing/.test(l))).toHaveLength(1);
      expect(await verifyAuditChain(t.db, { anchorFile: file })).toMatchObject({ ok: false, reason: 'anchor_mismatch', firstBadEntry: victim.seq.toString() });
    });

    it('leaves an unusable anchor file in place and says so', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      writeFileSync(file, '{"v":1,"seq":"999","hash":"x","at":"2026-01-01T00:00:00.000Z","mac":"forged"}\n');
      await append(t.db);
      const w = startAuditAnchoring(t.db, { file, intervalMs: 30 });
      const r = await w.flush();
      await w.stop();
      expect(r).toMatchObject({ kind: 'refused' });
      expect(readAnchorFile(auditKeys().anchor, file)).toMatchObject({ kind: 'invalid' });
      expect(await verifyAuditChain(t.db, { anchorFile: file })).toMatchObject({ ok: false, reason: 'anchor_invalid', firstBadEntry: null });
    });

    it('an anchor file that cannot be written leaves an intact chain intact (no error)', async (ctx) => {
      if (!t) ctx.skip();
      await append(t.db);
      const gone = path.join(tmp(), 'removed-later', 'anchor.json'); // its directory does not exist
      expect(await verifyAuditChain(t.db, { anchorFile: gone })).toMatchObject({ ok: true, anchor: null });
    });

    it('entries written before MACs existed verify, and the first MAC after them pins them', async (ctx) => {
      if (!t) ctx.skip();
      await insertLegacyEntries(t.db, 3);
      expect(await verifyAuditChain(t.db, { anchorFile: null })).toMatchObject({ ok: true, entries: 3, legacyEntries: 3 });
      const pin = await append(t.db);
      expect(await verifyAuditChain(t.db, { anchorFile: null })).toMatchObject({ ok: true, entries: 4, legacyEntries: 3 });
      // Rewriting an old entry means re-linking those after it, up to the first MAC'd one, whose MAC covers its link.
      const [{ first }] = (await t.db.query<{ first: string }>(`SELECT min(seq)::text AS first FROM "AuditEntry"`)) as [{ first: string }];
      await rewriteLegacyFrom(t.db, BigInt(first) + 1n, pin.seq - 1n);
      expect(await verifyAuditChain(t.db, { anchorFile: null })).toMatchObject({ ok: false, reason: 'link_broken', firstBadEntry: pin.seq.toString() });
    });

    it('a log from before MACs is anchored by its first verification, so rewriting it afterwards is caught', async (ctx) => {
      if (!t) ctx.skip();
      const file = path.join(tmp(), 'anchor.json');
      await insertLegacyEntries(t.db, 3);
      const [{ first, last }] = (await t.db.query<{ first: string; last: string }>(`SELECT min(seq)::text AS first, max(seq)::text AS last FROM "AuditEntry"`)) as [{ first: string; last: string }];
      expect(await verifyAuditChain(t.db, { anchorFile: file })).toMatchObject({ ok: true, legacyEntries: 3 });
      expect(anchoredSeq(file)).toBe(BigInt(last));
      await rewriteLegacyFrom(t.db, BigInt(first), BigInt(last));
      expect(await verifyAuditChain(t.db, { anchorFile: file })).toMatchObject({ ok: false, reason: 'anchor_mismatch', firstBadEntry: last });
    });

    it('once MACs exist, an entry at the head without one is refused (MACs stripped, or an older instance still writing)', async (ctx) => {
      if (!t) ctx.skip();
      await append(t.db);
      await insertLegacyEntries(t.db, 1);
      const [{ last }] = (await t.db.query<{ last: string }>(`SELECT max(seq)::text AS last FROM "AuditEntry"`)) as [{ last: string }];
      expect(await verifyAuditChain(t.db, { anchorFile: null })).toMatchObject({ ok: false, reason: 'mac_missing', firstBadEntry: last });
    });
  });
}

describe('which database an anchor file belongs to', () => {
  it.each([
    ['the configured embedded database has the configured file', 'configured', true],
    ['an in-memory (test) database has none', 'memory', false],
  ] as const)('%s', async (_name, which, expected) => {
    const dataDir = tmp();
    const cfg = loadConfig({ HOLDFAST_DATA_DIR: dataDir });
    const db = which === 'memory' ? await openDatabase({ kind: 'memory' }) : await openDatabase({ kind: 'pglite', dataDir });
    try {
      expect(anchorFileFor(db, cfg)).toBe(expected ? path.join(dataDir, 'audit-anchor.json') : null);
    } finally {
      await db.close();
    }
  });

  it('a PostgreSQL database only when it is the configured DATABASE_URL', async (ctx) => {
    if (!(await postgresAvailable())) ctx.skip();
    const t = await openTestDatabase('postgres');
    try {
      const file = path.join(tmp(), 'anchor.json');
      const secret = randomBytes(32).toString('base64');
      expect(anchorFileFor(t.db, loadConfig({ DATABASE_URL: t.url, HOLDFAST_SECRET_KEY: secret, HOLDFAST_AUDIT_ANCHOR_FILE: file }))).toBe(file);
      expect(anchorFileFor(t.db, loadConfig({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/elsewhere', HOLDFAST_SECRET_KEY: secret, HOLDFAST_AUDIT_ANCHOR_FILE: file }))).toBeNull();
      expect(anchorFileFor(t.db, loadConfig({ DATABASE_URL: t.url, HOLDFAST_SECRET_KEY: secret }))).toBeNull();
    } finally {
      await t.drop();
    }
  });
});

describe('HOLDFAST_AUDIT_ANCHOR_FILE', () => {
  const secret = randomBytes(32).toString('base64');
  it.each([
    ['embedded, unset: audit-anchor.json in the data directory', (d: string) => ({ HOLDFAST_DATA_DIR: d }), (d: string) => path.join(d, 'audit-anchor.json')],
    ['PostgreSQL, unset: no anchor file', () => ({ DATABASE_URL: 'postgresql://h@127.0.0.1/db', HOLDFAST_SECRET_KEY: secret }), () => null],
    ['set: that file, resolved', (d: string) => ({ HOLDFAST_DATA_DIR: d, HOLDFAST_AUDIT_ANCHOR_FILE: path.join(d, 'sub', '..', 'a.json') }), (d: string) => path.join(d, 'a.json')],
  ])('%s', (_name, env, expected) => {
    const d = tmp();
    expect(loadConfig(env(d)).auditAnchorFile).toBe(expected(d));
  });

  it.each([
    ['a file in a directory that does not exist', (d: string) => path.join(d, 'missing', 'a.json'), /HOLDFAST_AUDIT_ANCHOR_FILE: directory .*missing does not exist/],
    ['a directory', (d: string) => (mkdirSync(path.join(d, 'dir')), path.join(d, 'dir')), /HOLDFAST_AUDIT_ANCHOR_FILE: .*dir is a directory/],
  ])('refuses %s with config_invalid', (_name, value, message) => {
    const d = tmp();
    let err: unknown;
    try {
      loadConfig({ HOLDFAST_DATA_DIR: d, HOLDFAST_AUDIT_ANCHOR_FILE: value(d) });
    } catch (e) {
      err = e;
    }
    expect(isHoldfastError(err) && err.code).toBe('config_invalid');
    expect((err as Error).message).toMatch(message);
  });
});
