// Runs the findings engine against the database: policy from Setting `risk.policy`, the
// estate snapshot from set-based aggregates, `evaluate` + `reconcile` (lib/risk), and the
// resulting plan applied in ONE transaction: Finding rows upserted by dedupeKey,
// FindingHistory rows for opened / reopened / ack_expired / resolved, one audit entry.
//
// Call it after anything that changes the estate: the demo seed, each ingest batch, a policy
// change, a revocation. Concurrent calls are serialised by a transaction-scoped advisory lock;
// each reconciles against the stored findings as they are when it holds the lock.
import { createHash } from 'node:crypto';
import { appendAuditEntry } from '../../audit/append-audit-entry.ts';
import type { Database } from '../../db/open.ts';
import type { Prisma } from '../../db/generated/client.ts';
import { HoldfastError } from '../../errors.ts';
import type { FindingRule, Severity } from '../../domain/types.ts';
import {
  DEFAULT_POLICY,
  evaluate,
  reconcile,
  TOKEN_RULES,
  validatePolicy,
  type ExistingFinding,
  type FindingDraft,
  type Json,
  type Policy,
  type PolicyError,
} from '../../risk/index.ts';
import { buildEstateSnapshot, type SnapshotScope } from './snapshot.ts';

export const POLICY_SETTING_KEY = 'risk.policy';
const EVALUATE_LOCK_KEY = 727_101;

export interface EvaluateFindingsOptions {
  /** Evaluation clock (tests pin it); default the current time. */
  now?: Date;
  /** Policy to evaluate with; default the stored one (or the default policy). */
  policy?: Policy;
  /** Who triggered it, for history and the audit log: `system:seed`, `user:…`, `apikey:…`. */
  actor?: string;
  /**
   * Only these tokens, and only the rules that decide a token from its own facts (TOKEN_RULES):
   * what a batch changed, evaluated in proportion to the batch instead of the estate. Findings of
   * other tokens and of the other rules are left as they are (a whole-estate run decides them).
   */
  scope?: SnapshotScope;
}

export interface EvaluateFindingsResult {
  evaluatedAt: string;
  drafts: number;
  opened: number;
  updated: number;
  reopened: number;
  resolved: number;
  /** Findings open or acknowledged after this run, per rule. */
  active: Record<string, number>;
  durationMs: number;
  /** Present when the run was scoped: how many tokens it evaluated. */
  scopedTokens?: number;
}

/** The stored policy (validated); the default policy when none is stored. A stored policy that
 *  no longer validates is reported, not silently replaced. */
export async function loadPolicy(db: Database): Promise<Policy> {
  const row = await db.prisma.setting.findUnique({ where: { key: POLICY_SETTING_KEY } });
  if (!row) return DEFAULT_POLICY;
  const v = validatePolicy(row.value);
  if (!v.ok) throw new HoldfastError('config_invalid', `stored risk policy is invalid: ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors: v.errors });
  return v.policy;
}

/** Validates and stores a policy (audit entry), then re-evaluates the estate with it. */
export async function savePolicy(
  db: Database,
  input: { policy: unknown; actor: string; now?: Date },
): Promise<{ policy: Policy; evaluation: EvaluateFindingsResult }> {
  const v = validatePolicy(input.policy);
  if (!v.ok) throw new HoldfastError('validation_failed', `invalid risk policy: ${v.errors.map((e: PolicyError) => `${e.path}: ${e.message}`).join('; ')}`, { errors: v.errors });
  const value = JSON.parse(JSON.stringify(v.policy)) as Prisma.InputJsonValue;
  await db.prisma.$transaction(async (tx) => {
    await tx.setting.upsert({ where: { key: POLICY_SETTING_KEY }, create: { key: POLICY_SETTING_KEY, value }, update: { value } });
    await appendAuditEntry(tx, { actor: input.actor, action: 'risk.policy.update', target: POLICY_SETTING_KEY, details: { policy: value } });
  });
  const evaluation = await evaluateFindings(db, { now: input.now, policy: v.policy, actor: input.actor });
  return { policy: v.policy, evaluation };
}

interface StoredRow {
  id: string;
  dedupeKey: string;
  rule: string;
  severity: string;
  status: string;
  ackUntil: Date | string | null;
  blastRadius: number;
  evidence: unknown;
  lastSeenMs: number | string;
  words: string;
}

/** md5 of a finding's words, as the stored-findings query computes it in SQL. */
const WORDS_MD5_SQL = `md5(concat(title, chr(31), explanation, chr(31), recommendation))`;
const wordsMd5 = (d: FindingDraft): string => createHash('md5').update(`${d.title}\x1f${d.explanation}\x1f${d.recommendation}`, 'utf8').digest('hex');

function draftRow(d: FindingDraft, id?: string) {
  return {
    id: id ?? null,
    dedupeKey: d.dedupeKey,
    rule: d.rule,
    severity: d.severity,
    identityId: d.identityId,
    tokenId: d.tokenId,
    certificateId: d.certificateId,
    title: d.title,
    explanation: d.explanation,
    recommendation: d.recommendation,
    evidence: d.evidence as Json,
    blastRadius: d.blastRadius,
    observedAt: d.observedAt.toISOString(),
  };
}

/**
 * Token.riskOrder / riskFindings from the active findings; only rows that change are written.
 * `scoped`: only the tokens in $1 (uuid[]).
 */
function refreshTokenRiskSql(scoped: boolean): string {
  const findingsOf = scoped ? `AND "tokenId" = ANY($1::uuid[])` : '';
  const tokensOf = scoped ? `t.id = ANY($1::uuid[]) AND` : '';
  return `
WITH r AS (
  SELECT "tokenId" AS id,
         min(CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END)::bigint AS rank,
         least(sum("blastRadius"), 9999999)::bigint AS radius, count(*)::int AS n
    FROM "Finding" WHERE status <> 'resolved' AND "tokenId" IS NOT NULL ${findingsOf} GROUP BY "tokenId"),
want AS (
  SELECT t.id, coalesce(r.rank * 10000000 + (9999999 - r.radius), 99999999) AS o, coalesce(r.n, 0) AS n
    FROM "Token" t LEFT JOIN r ON r.id = t.id
   WHERE ${tokensOf} (r.id IS NOT NULL OR t."riskFindings" <> 0 OR t."riskOrder" <> 99999999)),
-- Rows locked in id order first, as ingest locks them for last-seen times: two writers that
-- lock the same tokens in different orders deadlock.
lk AS MATERIALIZED (
  SELECT t.id FROM "Token" t JOIN want ON want.id = t.id
   WHERE t."riskOrder" <> want.o OR t."riskFindings" <> want.n ORDER BY t.id FOR NO KEY UPDATE OF t)
UPDATE "Token" t SET "riskOrder" = want.o, "riskFindings" = want.n
  FROM want WHERE t.id = want.id AND t.id IN (SELECT id FROM lk) AND (t."riskOrder" <> want.o OR t."riskFindings" <> want.n)`;
}
export const REFRESH_TOKEN_RISK_SQL = refreshTokenRiskSql(false);

const RECORD_COLUMNS = `id uuid, "dedupeKey" text, rule text, severity text, "identityId" uuid, "tokenId" uuid, "certificateId" uuid,
  title text, explanation text, recommendation text, evidence jsonb, "blastRadius" int, "observedAt" timestamptz,
  status text, action text, note text`;

/**
 * Evaluates every rule over the whole estate and applies the result. Returns counts.
 * (For ingest at 1M-token scale see lib/risk/README.md "Scale": same function, run off the
 * request path after the batch commits.)
 */
export async function evaluateFindings(db: Database, options: EvaluateFindingsOptions = {}): Promise<EvaluateFindingsResult> {
  const t0 = performance.now();
  const now = options.now ?? new Date();
  const actor = options.actor ?? 'system';
  const policy = options.policy ?? (await loadPolicy(db));
  const scope = options.scope;
  const scopeIds = scope ? [...new Set(scope.tokenIds)] : [];
  const rules = scope ? TOKEN_RULES : undefined;
  const snapshot = await buildEstateSnapshot((sql, params) => db.query(sql, params), now, policy, scope && { tokenIds: scopeIds });
  const drafts = evaluate(snapshot, now, { policy, rules });
  const draftKeys = drafts.map((d) => d.dedupeKey);

  const counts = await db.prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${EVALUATE_LOCK_KEY})`);
      // Rows whose subject was deleted meanwhile would violate the foreign keys: keep drafts
      // whose identity / token / certificate still exist (checked set-based).
      // Scoped: the findings of the evaluated rules about the evaluated tokens, nothing else.
      const stored = await tx.$queryRawUnsafe<StoredRow[]>(
        `SELECT id::text, "dedupeKey", rule, severity, status, "ackUntil", "blastRadius", evidence,
                (extract(epoch FROM "lastSeenAt") * 1000)::float8 AS "lastSeenMs", ${WORDS_MD5_SQL} AS words
           FROM "Finding" WHERE (status <> 'resolved' OR "dedupeKey" = ANY($1::text[]))
            ${scope ? `AND rule = ANY($2::text[]) AND "tokenId" = ANY($3::uuid[])` : ''}`,
        ...(scope ? [draftKeys, rules, scopeIds] : [draftKeys]),
      );
      const existing: ExistingFinding[] = stored.map((r) => ({
        id: r.id,
        dedupeKey: r.dedupeKey,
        rule: r.rule as FindingRule,
        severity: r.severity as Severity,
        status: r.status as ExistingFinding['status'],
        ackUntil: r.ackUntil == null ? null : new Date(r.ackUntil),
        blastRadius: Number(r.blastRadius),
        evidence: (r.evidence ?? {}) as Json,
      }));
      const plan = reconcile(existing, drafts, now, { evaluatedRules: rules });
      // An update that would write back what is stored (same words, severity, radius, evidence and
      // lastSeenAt) is skipped: at scale nearly every finding is unchanged between two runs.
      const storedById = new Map(stored.map((r) => [r.id, r]));
      const toWrite = plan.toUpdate.filter((u) => {
        const r = storedById.get(u.id);
        return !r || u.changed || Number(r.lastSeenMs) !== u.draft.observedAt.getTime() || r.words !== wordsMd5(u.draft);
      });

      const nowIso = now.toISOString();
      const apply = async (sql: string, rows: unknown[]) => {
        if (rows.length === 0) return;
        // Chunks keep each JSON parameter well under driver limits on big estates.
        for (let i = 0; i < rows.length; i += 5000) {
          await tx.$executeRawUnsafe(sql, JSON.stringify(rows.slice(i, i + 5000)), nowIso, actor);
        }
      };

      await apply(
        `WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(${RECORD_COLUMNS})),
              ins AS (
                INSERT INTO "Finding" ("dedupeKey", rule, severity, status, "identityId", "tokenId", "certificateId", title, explanation,
                                       recommendation, evidence, "blastRadius", "firstSeenAt", "lastSeenAt")
                SELECT d."dedupeKey", d.rule, d.severity, 'open',
                       d."identityId" , d."tokenId", d."certificateId",
                       d.title, d.explanation, d.recommendation, d.evidence, d."blastRadius", d."observedAt", d."observedAt"
                  FROM d
                 WHERE (d."identityId" IS NULL OR EXISTS (SELECT 1 FROM "Identity" i WHERE i.id = d."identityId"))
                   AND (d."tokenId" IS NULL OR EXISTS (SELECT 1 FROM "Token" t WHERE t.id = d."tokenId"))
                   AND (d."certificateId" IS NULL OR EXISTS (SELECT 1 FROM "Certificate" c WHERE c.id = d."certificateId"))
                ON CONFLICT ("dedupeKey") DO NOTHING
                RETURNING id)
         INSERT INTO "FindingHistory" ("findingId", at, action, actor) SELECT id, $2::timestamptz, 'opened', $3 FROM ins`,
        plan.toOpen.map((d) => draftRow(d)),
      );

      // Updates (status unchanged); history only when severity, radius or evidence changed —
      // there is no history action for that, so changes are visible through lastSeenAt only.
      await apply(
        `UPDATE "Finding" f SET severity = d.severity, title = d.title, explanation = d.explanation, recommendation = d.recommendation,
                evidence = d.evidence, "blastRadius" = d."blastRadius", "lastSeenAt" = d."observedAt"
           FROM jsonb_to_recordset($1::jsonb) AS d(${RECORD_COLUMNS})
          WHERE f.id = d.id AND $2::text IS NOT NULL AND $3::text IS NOT NULL`,
        toWrite.map((u) => draftRow(u.draft, u.id)),
      );

      // Reopen: ack expired → history ack_expired then reopened; otherwise reopened with the reason.
      const reopenRows = plan.toReopen.flatMap((r) => {
        const base = draftRow(r.draft, r.id);
        return r.reason === 'ack_expired'
          ? [{ ...base, action: 'ack_expired', note: null }, { ...base, action: 'reopened', note: 'ack_expired' }]
          : [{ ...base, action: 'reopened', note: r.reason }];
      });
      await apply(
        `WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(${RECORD_COLUMNS})),
              upd AS (
                UPDATE "Finding" f SET status = 'open', "ackReason" = NULL, "ackUntil" = NULL, "ackBy" = NULL, "resolvedAt" = NULL,
                       severity = d.severity, title = d.title, explanation = d.explanation, recommendation = d.recommendation,
                       evidence = d.evidence, "blastRadius" = d."blastRadius", "lastSeenAt" = d."observedAt"
                  FROM (SELECT DISTINCT ON (id) * FROM d) d WHERE f.id = d.id RETURNING f.id)
         INSERT INTO "FindingHistory" ("findingId", at, action, actor, note)
         SELECT d.id, $2::timestamptz + (row_number() OVER (PARTITION BY d.id ORDER BY CASE d.action WHEN 'ack_expired' THEN 0 ELSE 1 END) - 1) * interval '1 millisecond',
                d.action, $3, d.note FROM d JOIN upd ON upd.id = d.id`,
        reopenRows,
      );

      await apply(
        `WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(id uuid, note text)),
              upd AS (UPDATE "Finding" f SET status = 'resolved', "resolvedAt" = $2::timestamptz FROM d WHERE f.id = d.id RETURNING f.id)
         INSERT INTO "FindingHistory" ("findingId", at, action, actor, note) SELECT d.id, $2::timestamptz, 'resolved', $3, d.note FROM d JOIN upd ON upd.id = d.id`,
        plan.toResolve.map((r) => ({ id: r.id, note: r.reason })),
      );

      // Riskiest-first sort key of every token whose active findings changed (see schema.prisma).
      if (scope) await tx.$executeRawUnsafe(refreshTokenRiskSql(true), scopeIds);
      else await tx.$executeRawUnsafe(REFRESH_TOKEN_RISK_SQL);

      const result = {
        drafts: drafts.length,
        opened: plan.toOpen.length,
        updated: plan.toUpdate.filter((u) => u.changed).length,
        reopened: plan.toReopen.length,
        resolved: plan.toResolve.length,
      };
      await appendAuditEntry(tx, { actor, action: 'findings.evaluate', details: { evaluatedAt: nowIso, ...result, ...(scope ? { scopedTokens: scopeIds.length } : {}) } });
      return result;
    },
    { timeout: 10 * 60_000, maxWait: 60_000 },
  );

  // From the trigger-kept counters (the same figures as a GROUP BY over "Finding", without reading it).
  const active = await db.query<{ rule: string; n: number }>(
    `SELECT "rule", sum("count")::int AS n FROM "FindingCount" WHERE "status" <> 'resolved' GROUP BY "rule" HAVING sum("count") > 0 ORDER BY "rule"`,
  );
  return {
    evaluatedAt: now.toISOString(),
    ...counts,
    active: Object.fromEntries(active.map((r) => [r.rule, Number(r.n)])),
    durationMs: Math.round(performance.now() - t0),
    ...(scope ? { scopedTokens: scopeIds.length } : {}),
  };
}
