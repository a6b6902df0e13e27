// Issue #14 item 8: someone with write access to the database (and not to the secret key or the
// anchor file) tampers with the audit log; verification must name what happened and where.
// Before MACs and the anchor, deleting the newest entries or rewriting them with recomputed
// SHA-256 hashes still verified.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../db/bulk.ts';
import { registerSecretKey } from '../server/secret-key.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { readAnchorFile } from './anchor-file.ts';
import { appendAuditEntries, appendAuditEntry, appendAuditEntryRaw } from './append-audit-entry.ts';
import { auditEntryHash } from './hash.ts';
import { auditKeys } from './mac.ts';
import { auditRows, rewriteAndRelink, rewriteEntry, type StoredAuditRow } from './testing/tamper.ts';
import { verifyAuditChain } from './verify-audit-chain.ts';
import type { AuditProblemCode } from './walk-audit-chain.ts';

type Db = TestDatabase['db'];
type Row = StoredAuditRow;

const last = (rows: Row[]) => rows[rows.length - 1]!;
const middle = (rows: Row[]) => rows[Math.floor(rows.length / 2)]!;

const rewriteNewest = (db: Db, rows: Row[], opts: { stripMac?: boolean } = {}) => rewriteEntry(db, last(rows), { forged: true }, opts).then(() => {});

interface TamperCase {
  name: string;
  tamper: (db: Db, rows: Row[], anchorFile: string) => Promise<void>;
  reason: AuditProblemCode;
  /** The entry verification must name, from the rows before tampering; null: none can be named. */
  firstBad: (rows: Row[]) => string | null;
}

const CASES: TamperCase[] = [
  {
    name: 'deleting the newest entry is reported as truncation at the anchored entry',
    tamper: (db, rows) => db.query(`DELETE FROM "AuditEntry" WHERE seq = $1::bigint`, [last(rows).seq]).then(() => {}),
    reason: 'truncated',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'deleting the three newest entries is reported as truncation',
    tamper: (db, rows) => db.query(`DELETE FROM "AuditEntry" WHERE seq >= $1::bigint`, [rows[rows.length - 3]!.seq]).then(() => {}),
    reason: 'truncated',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'deleting every entry is reported as truncation',
    tamper: (db) => db.query(`DELETE FROM "AuditEntry"`).then(() => {}),
    reason: 'truncated',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'rewriting the newest entry and recomputing its SHA-256 fails its MAC',
    tamper: (db, rows) => rewriteNewest(db, rows),
    reason: 'mac_mismatch',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'rewriting the anchored newest entry, recomputing its SHA-256 and deleting its MAC misses the anchored hash',
    tamper: (db, rows) => rewriteNewest(db, rows, { stripMac: true }),
    reason: 'anchor_mismatch',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'rewriting an entry written after the last anchor, recomputing its SHA-256 and deleting its MAC is reported as a missing MAC',
    tamper: async (db) => {
      const { seq } = await db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'user:a@example.com', action: 'apikey.revoke', target: 'apikey:2' }));
      await rewriteEntry(db, (await auditRows(db, { from: seq.toString() }))[0]!, { forged: true }, { stripMac: true });
    },
    reason: 'mac_missing',
    firstBad: (rows) => (BigInt(last(rows).seq) + 1n).toString(),
  },
  {
    name: 'rewriting a middle entry and recomputing its SHA-256 fails its MAC, at that entry',
    tamper: (db, rows) => rewriteEntry(db, middle(rows), { forged: true }).then(() => {}),
    reason: 'mac_mismatch',
    firstBad: (rows) => middle(rows).seq,
  },
  {
    name: 'rewriting a middle entry and re-linking every hash after it fails the MAC of that entry',
    tamper: (db, rows) => rewriteAndRelink(db, rows.slice(Math.floor(rows.length / 2)), { forged: true }),
    reason: 'mac_mismatch',
    firstBad: (rows) => middle(rows).seq,
  },
  {
    name: 'stripping every MAC and recomputing the whole chain (posing as a log from before MACs) misses the anchored hash',
    tamper: (db, rows) => rewriteAndRelink(db, rows, { forged: true }, { stripMac: true }),
    reason: 'anchor_mismatch',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'appending an entry with a correct SHA-256 and a made-up MAC fails that MAC',
    tamper: async (db, rows) => {
      const prev = last(rows);
      const content = { at: new Date(), actor: 'user:admin@example.com', action: 'user.role_change', target: 'user:mallory@example.com', details: { role: 'admin' } };
      const hash = auditEntryHash(prev.hash, content);
      await db.query(`INSERT INTO "AuditEntry" (seq, at, actor, action, target, details, "prevHash", hash, mac) VALUES ($1::bigint + 1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`, [
        prev.seq, content.at.toISOString(), content.actor, content.action, content.target, JSON.stringify(content.details), prev.hash, hash, randomBytes(32).toString('base64url'),
      ]);
    },
    reason: 'mac_mismatch',
    firstBad: (rows) => (BigInt(last(rows).seq) + 1n).toString(),
  },
  {
    name: 'deleting the newest entry and letting the application append again leaves the anchored entry missing',
    tamper: async (db, rows) => {
      await db.query(`DELETE FROM "AuditEntry" WHERE seq = $1::bigint`, [last(rows).seq]);
      await db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'system', action: 'after.truncation' }));
    },
    reason: 'anchor_mismatch',
    firstBad: (rows) => last(rows).seq,
  },
  {
    name: 'editing the anchor file to an earlier entry is reported as an unusable anchor',
    tamper: async (_db, rows, anchorFile) => {
      const a = JSON.parse(readFileSync(anchorFile, 'utf8')) as Record<string, string>;
      writeFileSync(anchorFile, JSON.stringify({ ...a, seq: rows[0]!.seq, hash: rows[0]!.hash }));
    },
    reason: 'anchor_invalid',
    firstBad: () => null,
  },
];

for (const runtime of RUNTIMES) {
  describe(`audit log tampering by a database writer on ${runtime}`, () => {
    let t: TestDatabase;
    let dir: string;
    let n = 0;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      registerSecretKey(randomBytes(32));
      dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-audit-'));
      t = await openTestDatabase(runtime);
    });
    afterAll(async () => {
      registerSecretKey(undefined);
      await t?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A fresh chain written the three ways the application writes, verified once so the anchor holds its head. */
    async function freshAnchoredChain(): Promise<{ rows: Row[]; anchorFile: string }> {
      await t.db.query(`DELETE FROM "AuditEntry"`);
      const anchorFile = path.join(dir, `anchor-${n++}.json`);
      for (let i = 0; i < 3; i++) await t.db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'user:a@example.com', action: 'apikey.create', target: `apikey:${i}`, details: { i, nested: { z: 1, a: [1, 2] } } }));
      await t.db.prisma.$transaction((tx) => appendAuditEntries(tx, [3, 4, 5].map((i) => ({ actor: 'system', action: 'revocation.complete', details: { i } }))));
      await withTransaction(t.db, (exec) => appendAuditEntryRaw(exec, { actor: 'apikey:gw', action: 'ingest.batch', target: 'batch:1', details: { accepted: 10 } }));
      await t.db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'user:a@example.com', action: 'user.create', target: 'user:b@example.com' }));
      const before = await verifyAuditChain(t.db, { anchorFile });
      expect(before).toMatchObject({ ok: true, entries: 8, firstBadEntry: null, reason: null });
      const rows = await auditRows(t.db);
      const anchor = readAnchorFile(auditKeys().anchor, anchorFile);
      expect(anchor.kind === 'ok' && anchor.anchor.seq.toString()).toBe(last(rows).seq);
      return { rows, anchorFile };
    }

    it('an untouched chain verifies, every entry carries a MAC, and the anchor holds its head', async (ctx) => {
      if (!t) ctx.skip();
      const { rows, anchorFile } = await freshAnchoredChain();
      expect(rows.every((r) => r.mac !== null)).toBe(true);
      expect(await verifyAuditChain(t.db, { anchorFile })).toMatchObject({ ok: true, entries: 8, legacyEntries: 0, anchor: { seq: last(rows).seq } });
    });

    it.for(CASES)('$name', async ({ tamper, reason, firstBad }, ctx) => {
      if (!t) ctx.skip();
      const { rows, anchorFile } = await freshAnchoredChain();
      await tamper(t.db, rows, anchorFile);
      const r = await verifyAuditChain(t.db, { anchorFile });
      expect(r, r.problem ?? '').toMatchObject({ ok: false, reason, firstBadEntry: firstBad(rows) });
      // A failed verification never moves the anchor onto the tampered chain.
      const after = await verifyAuditChain(t.db, { anchorFile });
      expect(after).toMatchObject({ ok: false, reason });
    });
  });
}
