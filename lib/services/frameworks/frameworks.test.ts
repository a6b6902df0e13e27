// The frameworks service on both runtimes, over the demo estate with its findings: evidence from
// SQL aggregates (open findings, the four positive controls, evaluated rules), the overview, custom
// frameworks, and export jobs writing real files — OSCAL validated with ajv against NIST's schema
// and scanned for raw tokens, PDF rendered with pdftoppm and read back with pdftotext.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINDING_RULES } from '../../domain/types.ts';
import { looksLikeRawToken } from '../../frameworks/export/redact.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import {
  controlEvidence,
  evidenceCounts,
  failInterruptedExports,
  findingRows,
  frameworkOverview,
  getExportJob,
  listFrameworks,
  listFrameworkSummaries,
  positiveEvidenceRows,
  saveCustomFramework,
  startExport,
  waitForExport,
} from './index.ts';
import { seedDemoWithFindings, type SeededDemo } from './testing/seeded-demo.ts';
import { OSCAL_SCHEMA_PATH } from '../../frameworks/testing/oscal-schema.ts';

const SCHEMA = OSCAL_SCHEMA_PATH;
let compiled: ValidateFunction | null = null;
function validator(): ValidateFunction {
  if (!compiled) {
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
  }
  return compiled;
}

function has(cmd: string): boolean {
  try {
    execFileSync(cmd, ['-v'], { stdio: 'ignore' });
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}
const POPPLER = has('pdftoppm') && has('pdftotext');

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

function rawTokenIn(text: string, raw: string[]): string | null {
  const set = new Set(raw);
  for (const piece of text.split(/[\s",{}[\]\\;]+/)) if (set.has(piece)) return piece;
  for (const t of raw.slice(0, 50)) if (text.includes(t)) return t;
  return null;
}

const CUSTOM = {
  id: 'acme-nhi',
  name: 'ACME NHI baseline',
  version: '2026.1',
  controls: [
    { id: 'ACME-1', title: 'Tokens are sender-constrained', description: 'mTLS or DPoP everywhere.' },
    { id: 'ACME-2', title: 'Secrets do not leak', group: 'Hygiene' },
  ],
  mapping: [
    { subject: 'unbound_high_risk', controlId: 'ACME-1', rationale: 'Unbound high-risk tokens break it.' },
    { subject: 'sender_constrained_enforced', controlId: 'ACME-1', rationale: 'Bound and enforced tokens satisfy it.' },
    { subject: 'exposed_active', controlId: 'ACME-2', rationale: 'Leaked tokens still active.' },
  ],
};

for (const runtime of RUNTIMES) {
  describe(`frameworks service on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    let demo: SeededDemo;
    let exportsDir: string;
    const NOW = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      demo = await seedDemoWithFindings(t.db, NOW);
      exportsDir = join(mkdtempSync(join(tmpdir(), 'holdfast-exports-')), 'exports');
    }, 180_000);
    afterAll(async () => {
      await t?.drop();
    });

    it('counts evidence with SQL aggregates: open findings by rule × severity, positive controls, evaluated rules', async (ctx) => {
      if (!t) return ctx.skip();
      const db = t.db;
      const e = await evidenceCounts(db, {}, { now: NOW });
      const n = (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Finding" WHERE status = 'open'`))[0]!.n;
      const total = Object.values(e.openFindings).reduce((s, bySev) => s + Object.values(bySev ?? {}).reduce((a, b) => a + (b ?? 0), 0), 0);
      expect(total).toBe(Number(n));
      expect(total).toBe(demo.findings);
      expect([...e.rulesEvaluated].sort()).toEqual([...FINDING_RULES].sort());

      // sender_constrained_enforced: the demo's nginx-legacy-billing / nginx-ci accept bound tokens unchecked.
      const sce = e.positive.sender_constrained_enforced!;
      expect(sce.pass).toBeGreaterThan(0);
      expect(sce.fail).toBeGreaterThan(0);
      // ttl_within_policy is the complement of ttl_over_policy on live tokens.
      const [{ live }] = (await db.query<{ live: number }>(`SELECT count(*)::int AS live FROM "Token" WHERE status = 'active' AND ("expiresAt" IS NULL OR "expiresAt" > $1)`, [NOW])) as [{ live: number }];
      const over = Object.values(e.openFindings.ttl_over_policy ?? {}).reduce((a, b) => a + (b ?? 0), 0);
      const ttl = e.positive.ttl_within_policy!;
      expect(ttl.pass + ttl.fail).toBe(Number(live));
      expect(ttl.fail).toBe(over);
      // Two certificates are bound by tokens of two identities.
      expect(e.positive.certificate_unique_per_workload!.fail).toBeGreaterThan(0);
      expect(e.positive.certificate_unique_per_workload!.pass).toBeGreaterThan(0);
      // No revocation has happened: not evaluated, which is not the same as passing.
      expect(e.positive.revocation_confirmed).toBeUndefined();

      const failedCerts: string[] = [];
      for await (const row of positiveEvidenceRows(db, {}, { now: NOW, pageSize: 500 })) if (row.control === 'certificate_unique_per_workload' && !row.passed) failedCerts.push(row.subjectId);
      // Shared certificates that still authenticate fail; an expired one is no longer evidence (as in credential_shared).
      const liveShared = await db.query<{ id: string }>(
        `SELECT id::text AS id FROM "Certificate" WHERE id = ANY($1::uuid[]) AND status = 'active' AND ("notAfter" IS NULL OR "notAfter" > $2)`,
        [demo.estate.sharedCertificateIds, NOW],
      );
      for (const { id } of liveShared) expect(failedCerts).toContain(id);
    });

    it('counts revocation legs: confirmed passes, failed or stuck over an hour fails, young pending legs wait', async (ctx) => {
      if (!t) return ctx.skip();
      const db = t.db;
      const [tok] = await db.query<{ id: string }>(`SELECT id::text AS id FROM "Token" ORDER BY id LIMIT 1`);
      const old = new Date(NOW.getTime() - 3 * 3600_000);
      const [r1] = await db.query<{ id: string }>(`INSERT INTO "Revocation" (state, reason, "requestedBy", "createdAt") VALUES ('partial', 'test', 'test', $1) RETURNING id::text AS id`, [old]);
      const [r2] = await db.query<{ id: string }>(`INSERT INTO "Revocation" (state, reason, "requestedBy", "createdAt") VALUES ('pending', 'test', 'test', $1) RETURNING id::text AS id`, [NOW]);
      await db.query(
        `INSERT INTO "RevocationLeg" ("revocationId", kind, "tokenId", state, "confirmedAt") VALUES
           ($1, 'token', $3, 'confirmed', $4), ($1, 'token', $3, 'failed', NULL), ($1, 'certificate', NULL, 'pending', NULL), ($2, 'token', $3, 'pending', NULL)`,
        [r1!.id, r2!.id, tok!.id, NOW],
      );
      const e = await evidenceCounts(db, {}, { now: new Date(NOW.getTime() + 1000) });
      expect(e.positive.revocation_confirmed).toEqual({ pass: 1, fail: 2 });
      // A range that ends before the revocation holds no revocation evidence.
      const before = await evidenceCounts(db, { to: new Date(old.getTime() - 1000) });
      expect(before.positive.revocation_confirmed).toBeUndefined();
      await db.query(`DELETE FROM "Revocation" WHERE id = ANY($1::uuid[])`, [[r1!.id, r2!.id]]);
    });

    it('streams findings in keyset pages: small pages give the same rows as one big page', async (ctx) => {
      if (!t) return ctx.skip();
      const small: string[] = [];
      for await (const f of findingRows(t.db, {}, { pageSize: 37 })) small.push(f.id);
      const big: string[] = [];
      for await (const f of findingRows(t.db, {}, { pageSize: 100_000 })) big.push(f.id);
      expect(small.length).toBe(demo.findings);
      expect(small).toEqual(big);
      expect(new Set(small).size).toBe(small.length);
    });

    it('shows NIST CSF 2.0 with statuses, counts, evidence links and the CSF 1.1 crosswalk', async (ctx) => {
      if (!t) return ctx.skip();
      const o = await frameworkOverview(t.db, 'nist-csf-2.0');
      expect(o.framework).toMatchObject({ id: 'nist-csf-2.0', version: '2.0' });
      const aa01 = o.controls.find((c) => c.id === 'PR.AA-01')!;
      expect(aa01.status).not.toBe('not_assessed');
      expect(aa01.counts.openFindings).toBeGreaterThan(0);
      expect(aa01.evidence.some((x) => x.href.startsWith('/findings?rule='))).toBe(true);
      expect(o.controls.find((c) => c.id === 'PR.AA-05')!.csf11).toContain('PR.AC-4');
      const ev = await controlEvidence(t.db, 'nist-csf-2.0', 'PR.AA-01', { overview: o });
      expect(ev.findings.length).toBeGreaterThan(0);
      expect(ev.identities.length).toBeGreaterThan(0);
      expect(ev.tokens).toBeGreaterThan(0);
      const all = await listFrameworkSummaries(t.db);
      expect(all.map((f) => f.id)).toEqual(expect.arrayContaining(['owasp-nhi-2025', 'nist-csf-2.0', 'nist-sp-800-207', 'nist-ai-rmf', 'owasp-agentic-2026', 'csa-maestro']));
    });

    it('reports not_assessed, never satisfied, on an estate whose findings were never evaluated', async (ctx) => {
      if (!t) return ctx.skip();
      const fresh = await openTestDatabase('pglite');
      try {
        const o = await frameworkOverview(fresh.db, 'owasp-nhi-2025');
        expect(o.totals.satisfied).toBe(0);
        expect(o.totals.not_assessed).toBe(o.controls.length);
      } finally {
        await fresh.drop();
      }
    });

    it('stores a custom framework with per-field errors for a bad one', async (ctx) => {
      if (!t) return ctx.skip();
      const bad = { ...CUSTOM, id: 'nist-csf-2.0', controls: [{ id: 'X-1', title: '' }], mapping: [{ subject: 'nope', controlId: 'X-9', rationale: 'r' }] };
      const err = await saveCustomFramework(t.db, { document: bad, actor: 'user:admin@example.com' }).catch((e) => e);
      expect(err.code).toBe('validation_failed');
      const paths = (err.details.errors as { path: string }[]).map((x) => x.path);
      expect(paths).toEqual(expect.arrayContaining(['id', 'controls.0.title', 'mapping.0.subject']));
      const saved = await saveCustomFramework(t.db, { document: CUSTOM, actor: 'user:admin@example.com' });
      expect(saved.created).toBe(true);
      expect((await saveCustomFramework(t.db, { document: CUSTOM, actor: 'user:admin@example.com' })).created).toBe(false);
      expect((await listFrameworks(t.db)).map((f) => f.id)).toContain('acme-nhi');
      const o = await frameworkOverview(t.db, 'acme-nhi');
      expect(o.controls.map((c) => c.status)).toEqual(['not_satisfied', 'not_satisfied']);
      const audit = await t.db.query<{ action: string }>(`SELECT action FROM "AuditEntry" WHERE target = 'acme-nhi' ORDER BY seq`);
      expect(audit.map((a) => a.action)).toEqual(['framework.custom.create', 'framework.custom.update']);
    });

    it('exports OSCAL from the demo estate to a file that validates against the official schema and holds no raw token', async (ctx) => {
      if (!t) return ctx.skip();
      const job = await startExport(t.db, { framework: 'nist-csf-2.0', format: 'oscal', actor: 'user:auditor@example.com' }, { exportsDir });
      await waitForExport(job.id);
      const done = await getExportJob(t.db, job.id);
      expect(done).toMatchObject({ state: 'done', progress: 100, format: 'oscal', frameworkVersion: '2.0', controls: expect.any(Number), findings: demo.findings });
      const file = join(exportsDir, `${job.id}.oscal.json`);
      expect(done.sha256).toBe(sha256(file));
      const text = readFileSync(file, 'utf8');
      const doc = JSON.parse(text);
      const validate = validator();
      expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
      expect(doc['assessment-results'].metadata['oscal-version']).toBe('1.0.4');
      expect(text).toContain('auditor@example.com');
      expect(demo.rawTokens.length).toBeGreaterThan(1000);
      expect(rawTokenIn(text, demo.rawTokens)).toBeNull();
      expect(looksLikeRawToken(text)).toBe(false);
      // An API key is hf_ + 43 base64url characters (lib/auth/api-keys.ts). A token fingerprint is 43
      // base64url characters and may itself begin with hf_ (one in 262,144 does; CI met one).
      expect(text).not.toMatch(/Bearer\s+[A-Za-z0-9._~+/-]{20,}|\bhf_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}/);
      const [audit] = await t.db.query<{ actor: string; details: Record<string, unknown> }>(`SELECT actor, details FROM "AuditEntry" WHERE action = 'export.create' AND target = $1`, [job.id]);
      expect(audit).toMatchObject({ actor: 'user:auditor@example.com', details: { framework: 'nist-csf-2.0', frameworkVersion: '2.0', format: 'oscal', sha256: done.sha256, generatedBy: 'auditor@example.com' } });
    }, 120_000);

    it('exports CSV and JSON whose recorded sha256 is the file hash', async (ctx) => {
      if (!t) return ctx.skip();
      for (const format of ['csv', 'json'] as const) {
        const job = await startExport(t.db, { framework: 'owasp-nhi-2025', format, actor: 'user:auditor@example.com' }, { exportsDir, inlineWaitMs: 60_000 });
        expect(job.state).toBe('done');
        const file = join(exportsDir, `${job.id}.${format}`);
        expect(job.sha256).toBe(sha256(file));
        const text = readFileSync(file, 'utf8');
        expect(text).toContain('NHI1:2025');
        expect(rawTokenIn(text, demo.rawTokens)).toBeNull();
      }
    }, 120_000);

    it('fails a job cleanly on bad input and refuses unknown frameworks and formats', async (ctx) => {
      if (!t) return ctx.skip();
      await expect(startExport(t.db, { framework: 'nist-csf-9', format: 'csv', actor: 'x' })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(startExport(t.db, { framework: 'nist-csf-2.0', format: 'xlsx', actor: 'x' })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(startExport(t.db, { framework: 'nist-csf-2.0', format: 'csv', actor: 'x', from: new Date('2026-02-01'), to: new Date('2026-01-01') })).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('marks jobs a previous process left running as failed, not the ones running here', async (ctx) => {
      if (!t) return ctx.skip();
      const stale = await t.db.prisma.exportJob.create({ data: { framework: 'nist-csf-2.0', format: 'csv', requestedBy: 'x', state: 'running' } });
      expect(await failInterruptedExports(t.db)).toBe(1);
      expect(await getExportJob(t.db, stale.id)).toMatchObject({ state: 'failed', error: expect.stringContaining('interrupted') });
      expect(await failInterruptedExports(t.db)).toBe(0);
    });

    it.runIf(POPPLER || process.env.CI === 'true')('exports a PDF that renders to PNG and reads back with the title and the control table', async (ctx) => {
      if (!t) return ctx.skip();
      const job = await startExport(t.db, { framework: 'nist-csf-2.0', format: 'pdf', actor: 'user:auditor@example.com' }, { exportsDir, inlineWaitMs: 60_000 });
      expect(job.state).toBe('done');
      const file = join(exportsDir, `${job.id}.pdf`);
      const outDir = mkdtempSync(join(tmpdir(), 'holdfast-pdf-'));
      execFileSync('pdftoppm', ['-png', '-r', '40', '-l', '3', file, join(outDir, 'page')]);
      const pngs = readdirSync(outDir).filter((n) => n.endsWith('.png'));
      expect(pngs.length).toBeGreaterThanOrEqual(1);
      for (const p of pngs) expect(statSync(join(outDir, p)).size).toBeGreaterThan(1000);
      const text = execFileSync('pdftotext', ['-layout', file, '-']).toString('utf8');
      expect(text).toContain('NIST Cybersecurity Framework 2.0');
      expect(text).toContain('Generated by: auditor@example.com');
      expect(text).toMatch(/ID\s+Title\s+Status\s+Findings\s+Pass\s+Fail/);
      expect(text).toMatch(/PR\.AA-01\s+\S/);
      expect(rawTokenIn(text, demo.rawTokens)).toBeNull();
    }, 120_000);
  });
}
