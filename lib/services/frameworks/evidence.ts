// Evidence for the framework mapping, straight from the database with set-based SQL:
//   - open findings per rule × severity (one GROUP BY over "Finding"),
//   - pass/fail counts of the four positive controls (defined below, one query each),
//   - the rules whose detector ran (rulesEvaluated),
// and the row streams the exports read (findings, per-subject positive checks), in keyset pages
// so an export of 1M tokens keeps memory flat.
//
// Time range: `from`/`to` bound the evidence; `to` defaults to now and is the "as of" instant for
// state-based checks. Statuses (token active/revoked, finding open/resolved) are the current ones:
// the database keeps no history of them, so a past range is "as known now".
//
// Positive controls (per subject; a subject with no evidence is not counted at all, so a control
// whose subjects are all absent stays `not_assessed`):
//   sender_constrained_enforced   per bound token (binding mtls|dpop) that at least one gateway
//       event in the range saw. FAIL if any of those events has verdict `bound_not_enforced`
//       (a gateway answered 2xx without checking the proof/certificate) or
//       `binding_context_stripped` (a TLS-terminating hop removed what the check needs).
//       Other failure verdicts (proof_invalid, binding_mismatch, no_proof_for_bound_token, cert_*)
//       are the binding being enforced — the gateway refused the request — so they PASS.
//   ttl_within_policy             per token live at `to` (status active, not expired). PASS iff its
//       lifetime (ttlSeconds, else expiresAt − coalesce(issuedAt, firstSeenAt)) is known and within
//       the risk policy (Setting `risk.policy`, defaults from lib/risk/policy.ts): ≤ absoluteSeconds,
//       and for access tokens ≤ agentSeconds (identity kind agent) or ≤ serviceSeconds (others).
//       Exactly the complement of the `ttl_over_policy` rule on live tokens.
//   certificate_unique_per_workload  per certificate live at `to` (active, notAfter > to) attributed
//       to at least one workload. Workloads = its owner identity ∪ identities of live tokens bound to
//       it (cnf x5t#S256) ∪ identities of gateway events in the range that presented it.
//       PASS iff exactly one workload.
//   revocation_confirmed          per revocation leg of a revocation requested in the range.
//       PASS if confirmed; FAIL if failed, or still pending/in progress more than one hour after
//       the request; legs younger than that are not counted yet.
//   revocation_effective          per revocation leg × enforcement point that ever accepted the
//       credential (a revocation receipt, lib/revocation/receipts.ts), for revocations requested
//       in the range, as of `to`. FAIL while the point still accepts the revoked credential
//       (a request let through after the revocation); PASS when it refused it since, or has not
//       seen it since. Computed per revocation, not in one SQL statement.
import { FINDING_RULES, type Severity } from '../../domain/types.ts';
import { verdictCodeListSql } from '../../domain/verdict-codes.ts';
import type { Database } from '../../db/open.ts';
import { HoldfastError } from '../../errors.ts';
import type { EvidenceCounts, ExportEvidenceRow, ExportFindingRow } from '../../frameworks/index.ts';
import type { ReceiptEvidenceRow } from '../../frameworks/export/oscal.ts';
import { describePointReceipt, pointName, revocationReceipts } from '../../revocation/receipts.ts';
import { DEFAULT_POLICY, validatePolicy, type Policy } from '../../risk/policy.ts';
import { DIM } from '../evidence/dims.ts';

export interface EvidenceRange {
  from?: Date | null;
  to?: Date | null;
}

export interface ResolvedRange {
  from: Date | null;
  to: Date;
}

export const POLICY_SETTING_KEY = 'risk.policy';
/** Written by the findings service if it records which rules ran; read when present. */
export const EVALUATED_RULES_SETTING_KEY = 'risk.lastEvaluatedRules';
/** Pending revocation legs older than this count as not confirmed. */
export const REVOCATION_GRACE_SECONDS = 3600;
const PAGE = 2000;
const NOT_ENFORCED = verdictCodeListSql(['bound_not_enforced', 'binding_context_stripped']);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

export function resolveRange(r: EvidenceRange = {}, now: Date = new Date()): ResolvedRange {
  const to = r.to ?? now;
  const from = r.from ?? null;
  if (Number.isNaN(to.getTime()) || (from && Number.isNaN(from.getTime()))) throw new HoldfastError('validation_failed', 'from/to must be valid dates');
  if (from && from.getTime() > to.getTime()) throw new HoldfastError('validation_failed', 'from must not be after to');
  return { from, to };
}

/** The stored risk policy, or the defaults when none is stored. */
export async function loadRiskPolicy(db: Database): Promise<Policy> {
  const rows = await db.query<{ value: unknown }>(`SELECT value FROM "Setting" WHERE key = $1`, [POLICY_SETTING_KEY]);
  if (rows.length === 0) return DEFAULT_POLICY;
  const v = validatePolicy(rows[0]!.value);
  if (!v.ok) throw new HoldfastError('config_invalid', `stored risk policy is invalid: ${v.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`);
  return v.policy;
}

/**
 * Rules whose detector ran by `to`: the Setting `risk.lastEvaluatedRules` (a JSON array of rule
 * ids, or `{ rules: [...] }`) when the findings service writes it; otherwise every rule once a
 * findings evaluation is on record (audit action `findings.evaluate` whose evaluation clock
 * `details.evaluatedAt`, else its time, is at or before `to` — the
 * engine evaluates all rules in one run); otherwise none.
 */
export async function rulesEvaluated(db: Database, range: ResolvedRange): Promise<string[]> {
  const s = await db.query<{ value: unknown }>(`SELECT value FROM "Setting" WHERE key = $1`, [EVALUATED_RULES_SETTING_KEY]);
  if (s.length > 0) {
    const v = s[0]!.value as unknown;
    const list = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as { rules?: unknown }).rules) ? (v as { rules: unknown[] }).rules : null;
    if (list) return list.filter((x): x is string => typeof x === 'string');
  }
  const ran = await db.query(`SELECT 1 FROM "AuditEntry" WHERE action = 'findings.evaluate' AND coalesce((details->>'evaluatedAt')::timestamptz, at) <= $1 LIMIT 1`, [range.to]);
  return ran.length > 0 ? [...FINDING_RULES] : [];
}

// ───────────────────────────── positive controls: one subject query each ─────────────────────────────
// Each returns rows (id uuid, label text, passed bool, "observedAt" timestamptz, detail text) and
// takes $1 from, $2 to, then its own parameters. Counts wrap it in a GROUP-less aggregate; the
// export stream adds a keyset predicate on id.

interface SubjectQuery {
  control: string;
  subjectType: ExportEvidenceRow['subjectType'];
  sql: string;
  params(policy: Policy): unknown[];
}

const SUBJECT_QUERIES: SubjectQuery[] = [
  {
    control: 'sender_constrained_enforced',
    subjectType: 'token',
    // From hourly usage evidence: a usage row counts when its requests fall in the range.
    sql: `SELECT u."tokenId" AS id, min(i.name) AS label,
                 NOT bool_or(u."verdict" IN ${NOT_ENFORCED}) AS passed,
                 max(u."lastAt") AS "observedAt",
                 sum(u."count")::int || ' gateway event(s), ' ||
                   coalesce(sum(u."count") FILTER (WHERE u."verdict" IN ${NOT_ENFORCED}), 0)::int || ' not enforced' AS detail
            FROM "evidence"."Usage" u
            JOIN "Token" t ON t.id = u."tokenId"
            LEFT JOIN "Identity" i ON i.id = t."identityId"
           WHERE t.binding <> 'bearer' AND ($1::timestamptz IS NULL OR u."lastAt" >= $1) AND u."firstAt" <= $2
           GROUP BY u."tokenId"`,
    params: () => [],
  },
  {
    control: 'ttl_within_policy',
    subjectType: 'token',
    sql: `SELECT id, label, (lifetime IS NOT NULL AND lifetime <= $3::bigint AND ("tokenType" <> 'access' OR lifetime <= CASE WHEN kind = 'agent' THEN $4::bigint ELSE $5::bigint END)) AS passed,
                 "observedAt", CASE WHEN lifetime IS NULL THEN 'never expires' ELSE 'lifetime ' || lifetime || ' s' END AS detail
            FROM (SELECT t.id, i.name AS label, t."tokenType", i.kind, coalesce(t."lastSeenAt", t."firstSeenAt") AS "observedAt",
                         CASE WHEN t."expiresAt" IS NULL THEN NULL
                              WHEN t."ttlSeconds" IS NOT NULL THEN t."ttlSeconds"::bigint
                              ELSE greatest(0, round(extract(epoch FROM t."expiresAt" - coalesce(t."issuedAt", t."firstSeenAt"))))::bigint END AS lifetime
                    FROM "Token" t JOIN "Identity" i ON i.id = t."identityId"
                   WHERE t.status = 'active' AND (t."expiresAt" IS NULL OR t."expiresAt" > $2) AND ($1::timestamptz IS NULL OR $1 <= $2)) s`,
    params: (p) => [p.ttl.absoluteSeconds, p.ttl.agentSeconds, p.ttl.serviceSeconds],
  },
  {
    control: 'certificate_unique_per_workload',
    subjectType: 'certificate',
    sql: `SELECT l.id, min(l.label) AS label, count(DISTINCT u.ident) = 1 AS passed, min(l."observedAt") AS "observedAt",
                 count(DISTINCT u.ident)::int || ' workload(s)' AS detail
            FROM (SELECT c.id, c."x5tS256", c."identityId", coalesce(c."subjectDn", c."x5tS256") AS label, coalesce(c."notBefore", c."createdAt") AS "observedAt"
                    FROM "Certificate" c
                   WHERE c.status = 'active' AND (c."notAfter" IS NULL OR c."notAfter" > $2)) l
            JOIN (SELECT c.id, c."identityId" AS ident FROM "Certificate" c WHERE c."identityId" IS NOT NULL
                  UNION
                  SELECT c.id, t."identityId" FROM "Certificate" c JOIN "Token" t ON t."cnfX5tS256" = c."x5tS256"
                   WHERE t.status = 'active' AND (t."expiresAt" IS NULL OR t."expiresAt" > $2)
                  UNION
                  SELECT c.id, e."identityId" FROM "Certificate" c
                    JOIN "evidence"."Dim" d ON d."kind" = ${DIM.cert} AND d."value" = c."x5tS256"
                    JOIN "evidence"."Usage" e ON e."cert" = d.id
                   WHERE e."identityId" IS NOT NULL AND ($1::timestamptz IS NULL OR e."lastAt" >= $1) AND e."firstAt" <= $2) u ON u.id = l.id
           GROUP BY l.id`,
    params: () => [],
  },
  {
    control: 'revocation_confirmed',
    subjectType: 'revocation',
    sql: `SELECT l.id, l.kind || ' leg of revocation ' || l."revocationId"::text AS label, l.state = 'confirmed' AS passed,
                 coalesce(l."confirmedAt", r."createdAt") AS "observedAt", l.state || ' after ' || l.attempts || ' attempt(s)' AS detail
            FROM "RevocationLeg" l JOIN "Revocation" r ON r.id = l."revocationId"
           WHERE r."createdAt" <= $2 AND ($1::timestamptz IS NULL OR r."createdAt" >= $1)
             AND (l.state IN ('confirmed', 'failed') OR r."createdAt" < $2::timestamptz - make_interval(secs => $3::double precision))`,
    params: () => [REVOCATION_GRACE_SECONDS],
  },
];

/** The positive control revocation receipts are evidence for (see the header). */
export const RECEIPT_CONTROL = 'revocation_effective';
const RECEIPT_PAGE = 200;

/**
 * Revocation receipts as evidence rows: one per leg × enforcement point of each revocation
 * requested in the range, as of `to` (requests after it are not counted), keyset-paged by
 * revocation id. A revocation no gateway ever accepted the credentials of yields no row.
 */
async function* receiptEvidenceRows(db: Database, r: ResolvedRange): AsyncGenerator<ReceiptEvidenceRow> {
  let after = ZERO_UUID;
  for (;;) {
    const revs = await db.query<{ id: string }>(
      `SELECT id::text AS id FROM "Revocation" WHERE "createdAt" <= $2 AND ($1::timestamptz IS NULL OR "createdAt" >= $1) AND id > $3::uuid ORDER BY id LIMIT ${RECEIPT_PAGE}`,
      [r.from, r.to, after],
    );
    for (const { id } of revs) {
      const receipts = await revocationReceipts(db, id, { now: r.to, until: r.to });
      for (const leg of receipts.legs) {
        for (const p of leg.points) {
          yield {
            id: `${RECEIPT_CONTROL}|${leg.legId}|${p.source ?? ''}|${p.gateway ?? ''}`,
            control: RECEIPT_CONTROL,
            subjectType: 'revocation',
            subjectId: leg.legId,
            subjectLabel: `${leg.kind} leg of revocation ${id} at ${pointName(p)}`,
            passed: p.status !== 'still_accepting',
            observedAt: new Date(p.requestsAfter.lastAt ?? p.lastSeenAt ?? leg.revokedAt),
            detail: describePointReceipt(leg, p),
            receipt: {
              revocationId: id, legKind: leg.kind, enforcementPoint: pointName(p), status: p.status, revokedAt: leg.revokedAt, confirmedAt: leg.confirmedAt,
              lastAcceptedBefore: p.lastAcceptedBefore, acceptedAfter: p.requestsAfter.accepted, refusedAfter: p.requestsAfter.refused,
              notSeenForSeconds: p.notSeenForSeconds, findingId: p.finding?.id ?? null,
            },
          };
        }
      }
    }
    if (revs.length < RECEIPT_PAGE) return;
    after = revs[revs.length - 1]!.id;
  }
}

export const POSITIVE_CONTROL_DEFINITIONS: Record<string, string> = {
  sender_constrained_enforced:
    'Per bound (mTLS/DPoP) token seen by a gateway in the range: passes unless an event shows it accepted without the binding checked (bound_not_enforced) or with the binding context stripped.',
  ttl_within_policy: 'Per live token: passes when its lifetime is known and within the risk policy (class limit for access tokens, absolute ceiling for all).',
  certificate_unique_per_workload: 'Per live certificate attributed to a workload: passes when exactly one identity owns, binds or presents it.',
  revocation_confirmed: 'Per revocation leg requested in the range: passes when confirmed; fails when failed or unconfirmed after one hour.',
  revocation_effective:
    'Per revocation leg and gateway that ever accepted the credential (a revocation receipt): fails while the gateway still accepts the revoked credential; passes when it refused it since or has not seen it since.',
};

/** Open findings by rule × severity, positive-control counts and evaluated rules. All SQL aggregates. */
export async function evidenceCounts(db: Database, range: EvidenceRange = {}, opts: { now?: Date; policy?: Policy } = {}): Promise<EvidenceCounts> {
  const r = resolveRange(range, opts.now);
  const policy = opts.policy ?? (await loadRiskPolicy(db));
  const open = await db.query<{ rule: string; severity: Severity; n: number }>(
    `SELECT rule, severity, count(*)::int AS n FROM "Finding"
      WHERE status = 'open' AND "firstSeenAt" <= $1 GROUP BY rule, severity`,
    [r.to],
  );
  const openFindings: EvidenceCounts['openFindings'] = {};
  for (const row of open) (openFindings[row.rule] ??= {})[row.severity] = Number(row.n);
  const positive: EvidenceCounts['positive'] = {};
  for (const q of SUBJECT_QUERIES) {
    const [c] = await db.query<{ pass: number; fail: number }>(
      `SELECT count(*) FILTER (WHERE passed)::int AS pass, count(*) FILTER (WHERE NOT passed)::int AS fail FROM (${q.sql}) s`,
      [r.from, r.to, ...q.params(policy)],
    );
    const pass = Number(c?.pass ?? 0);
    const fail = Number(c?.fail ?? 0);
    if (pass + fail > 0) positive[q.control] = { pass, fail };
  }
  const receipts = { pass: 0, fail: 0 };
  for await (const row of receiptEvidenceRows(db, r)) receipts[row.passed ? 'pass' : 'fail'] += 1;
  if (receipts.pass + receipts.fail > 0) positive[RECEIPT_CONTROL] = receipts;
  return { openFindings, positive, rulesEvaluated: await rulesEvaluated(db, r) };
}

/** Per-subject positive checks, keyset-paged by subject id (memory flat). */
export async function* positiveEvidenceRows(db: Database, range: EvidenceRange = {}, opts: { now?: Date; policy?: Policy; pageSize?: number } = {}): AsyncGenerator<ExportEvidenceRow> {
  const r = resolveRange(range, opts.now);
  const policy = opts.policy ?? (await loadRiskPolicy(db));
  const size = opts.pageSize ?? PAGE;
  for (const q of SUBJECT_QUERIES) {
    const extra = q.params(policy);
    let after = ZERO_UUID;
    for (;;) {
      const n = 3 + extra.length;
      const rows = await db.query<{ id: string; label: string | null; passed: boolean; observedAt: Date | string; detail: string | null }>(
        `SELECT s.id::text AS id, s.label, s.passed, s."observedAt", s.detail FROM (${q.sql}) s
          WHERE s.id > $${n}::uuid ORDER BY s.id LIMIT ${Number(size)}`,
        [r.from, r.to, ...extra, after],
      );
      for (const row of rows) {
        yield {
          id: `${q.control}|${row.id}`,
          control: q.control,
          subjectType: q.subjectType,
          subjectId: row.id,
          subjectLabel: row.label,
          passed: Boolean(row.passed),
          observedAt: new Date(row.observedAt ?? r.to),
          detail: row.detail,
        };
      }
      if (rows.length < size) break;
      after = rows[rows.length - 1]!.id;
    }
  }
  yield* receiptEvidenceRows(db, r);
}

const FINDINGS_IN_RANGE = `f."firstSeenAt" <= $2 AND ($1::timestamptz IS NULL OR f.status <> 'resolved' OR f."resolvedAt" >= $1)`;

/** Findings active at some point in the range (any status), keyset-paged by id. */
export async function* findingRows(db: Database, range: EvidenceRange = {}, opts: { now?: Date; pageSize?: number } = {}): AsyncGenerator<ExportFindingRow> {
  const r = resolveRange(range, opts.now);
  const size = opts.pageSize ?? PAGE;
  let after = ZERO_UUID;
  for (;;) {
    const rows = await db.query<{
      id: string;
      rule: string;
      severity: Severity;
      status: string;
      title: string;
      explanation: string;
      recommendation: string;
      identity: string | null;
      identityId: string | null;
      tokenId: string | null;
      tokenFingerprint: string | null;
      firstSeenAt: Date | string;
      lastSeenAt: Date | string;
    }>(
      `SELECT f.id::text AS id, f.rule, f.severity, f.status, f.title, f.explanation, f.recommendation,
              i.name AS identity, f."identityId"::text AS "identityId", f."tokenId"::text AS "tokenId", t.fingerprint AS "tokenFingerprint",
              f."firstSeenAt", f."lastSeenAt"
         FROM "Finding" f
         LEFT JOIN "Identity" i ON i.id = f."identityId"
         LEFT JOIN "Token" t ON t.id = f."tokenId"
        WHERE f.id > $3::uuid AND ${FINDINGS_IN_RANGE}
        ORDER BY f.id LIMIT ${Number(size)}`,
      [r.from, r.to, after],
    );
    for (const row of rows) yield { ...row, firstSeenAt: new Date(row.firstSeenAt), lastSeenAt: new Date(row.lastSeenAt) };
    if (rows.length < size) break;
    after = rows[rows.length - 1]!.id;
  }
}

/** How many rows an export will read (findings + positive checks), for progress. */
export async function exportRowEstimate(db: Database, range: EvidenceRange, evidence: EvidenceCounts, now?: Date): Promise<number> {
  const r = resolveRange(range, now);
  const [c] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Finding" f WHERE ${FINDINGS_IN_RANGE}`, [r.from, r.to]);
  let n = Number(c?.n ?? 0);
  for (const p of Object.values(evidence.positive)) n += (p?.pass ?? 0) + (p?.fail ?? 0);
  return n;
}
