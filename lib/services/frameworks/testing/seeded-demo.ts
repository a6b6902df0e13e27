// Test support (not used by production code): the demo estate in a database with its findings.
// Findings come from the pure risk engine (lib/risk evaluate over the same generated estate) and
// are inserted set-based, with the `findings.evaluate` audit entry the findings service writes,
// so these tests do not depend on the DB findings service's internals.
import { appendAuditEntry } from '../../../audit/append-audit-entry.ts';
import type { Database } from '../../../db/open.ts';
import { buildSnapshot } from '../../../risk/build-snapshot.ts';
import { evaluate } from '../../../risk/evaluate.ts';
import { generateDemoEstate, generateDemoRawTokens, type DemoEstate } from '../../../seed/demo-estate.ts';
import { seedDemo } from '../../../seed/seed-demo.ts';

export interface SeededDemo {
  estate: DemoEstate;
  rawTokens: string[];
  findings: number;
}

export async function seedDemoWithFindings(db: Database, now: Date, seed = 42): Promise<SeededDemo> {
  await seedDemo(db, { seed, now });
  const estate = generateDemoEstate({ seed, now });
  const drafts = evaluate(buildSnapshot(estate, now), now);
  await insertFindings(db, drafts.map((d) => ({ ...d, status: 'open' })));
  await db.prisma.$transaction((tx) => appendAuditEntry(tx, { actor: 'test', action: 'findings.evaluate', details: { evaluatedAt: now.toISOString(), drafts: drafts.length } }));
  return { estate, rawTokens: generateDemoRawTokens({ seed, now }), findings: drafts.length };
}

export interface FindingInsert {
  dedupeKey: string;
  rule: string;
  severity: string;
  status?: string;
  identityId: string | null;
  tokenId: string | null;
  certificateId: string | null;
  title: string;
  explanation: string;
  recommendation: string;
  evidence?: unknown;
  blastRadius?: number;
  observedAt: Date;
}

export async function insertFindings(db: Database, rows: FindingInsert[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000).map((r) => ({ ...r, status: r.status ?? 'open', evidence: r.evidence ?? {}, blastRadius: r.blastRadius ?? 0, observedAt: r.observedAt.toISOString() }));
    await db.query(
      `INSERT INTO "Finding" ("dedupeKey", rule, severity, status, "identityId", "tokenId", "certificateId", title, explanation, recommendation, evidence, "blastRadius", "firstSeenAt", "lastSeenAt")
       SELECT d."dedupeKey", d.rule, d.severity, d.status, d."identityId", d."tokenId", d."certificateId", d.title, d.explanation, d.recommendation, d.evidence, d."blastRadius", d."observedAt", d."observedAt"
         FROM jsonb_to_recordset($1::jsonb) AS d("dedupeKey" text, rule text, severity text, status text, "identityId" uuid, "tokenId" uuid, "certificateId" uuid,
              title text, explanation text, recommendation text, evidence jsonb, "blastRadius" int, "observedAt" timestamptz)
       ON CONFLICT ("dedupeKey") DO NOTHING`,
      [JSON.stringify(chunk)],
    );
  }
}
