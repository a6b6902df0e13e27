// Estate summary (CONTRACT.md `summary`, /api/v1/summary, Overview KPIs). Counts come from
// set-based SQL, never from loading rows.
import type { Database } from '../db/open.ts';
import { VERDICTS } from '../domain/types.ts';
import { windowParams, windowRowsSql } from './event-rollup.ts';

export interface Summary {
  identities: number;
  tokens: { total: number; bearer: number; mtls: number; dpop: number; unboundHighRisk: number; exposedActive: number };
  certificates: number;
  events: number;
  findings: Record<string, number>;
}

/**
 * "Unbound high-risk": a token with an open or acknowledged `unbound_high_risk` finding — a live
 * bearer token that the risk policy (Setting `risk.policy`: privileged scopes, partner /
 * cross-tenant / CI/CD / admin audiences, AI agents) classifies as high risk. One definition,
 * from the findings engine, used by the summary (CLI, API, Overview KPI) and by the token
 * list's `risk=high` filter, so the KPI and the list it links to always show the same number.
 * Acknowledging the finding (risk accepted) does not bind the token, so it still counts here;
 * only evidence going away (token bound, revoked, expired, de-privileged) resolves it.
 * Expects the `Token` alias `t`. (The summary counts the same rows from the Finding side — one
 * finding per token by its dedupeKey — through the trigger-kept "FindingCount".)
 */
export const UNBOUND_HIGH_RISK_SQL = `EXISTS (SELECT 1 FROM "Finding" uhr WHERE uhr."tokenId" = t."id" AND uhr."rule" = 'unbound_high_risk' AND uhr."status" <> 'resolved')`;

export async function getSummary(db: Database): Promise<Summary> {
  // Token and finding counts from "TokenCount" / "FindingCount" (kept by triggers on "Token" and
  // "Finding"; a few dozen rows), never a scan of either table.
  const [tok] = await db.query<{
    total: string; bearer: string; mtls: string; dpop: string; unbound: number; exposed: string;
  }>(`SELECT coalesce(sum(c."count"), 0)::text AS total,
            coalesce(sum(c."count") FILTER (WHERE c."binding" = 'bearer'), 0)::text AS bearer,
            coalesce(sum(c."count") FILTER (WHERE c."binding" = 'mtls'), 0)::text AS mtls,
            coalesce(sum(c."count") FILTER (WHERE c."binding" = 'dpop'), 0)::text AS dpop,
            (SELECT coalesce(sum("count"), 0) FROM "FindingCount" WHERE "rule" = 'unbound_high_risk' AND "status" <> 'resolved' AND "onToken")::int AS unbound,
            coalesce(sum(c."count") FILTER (WHERE c."exposure" = 'exposed' AND c."status" = 'active'), 0)::text AS exposed
       FROM "TokenCount" c`);
  const [other] = await db.query<{ identities: number; certificates: number; events: number }>(
    `SELECT (SELECT count(*) FROM "Identity")::int AS identities,
            (SELECT count(*) FROM "Certificate")::int AS certificates,
            (SELECT coalesce(sum("count"), 0) FROM "EventRollup")::int8 AS events`,
  );
  const findingRows = await db.query<{ rule: string; n: number }>(
    `SELECT "rule", sum("count")::int AS n FROM "FindingCount" WHERE "status" <> 'resolved' GROUP BY "rule" HAVING sum("count") > 0 ORDER BY "rule"`,
  );
  return {
    identities: other?.identities ?? 0,
    tokens: {
      total: Number(tok?.total ?? 0),
      bearer: Number(tok?.bearer ?? 0),
      mtls: Number(tok?.mtls ?? 0),
      dpop: Number(tok?.dpop ?? 0),
      unboundHighRisk: tok?.unbound ?? 0,
      exposedActive: Number(tok?.exposed ?? 0),
    },
    certificates: other?.certificates ?? 0,
    events: Number(other?.events ?? 0),
    findings: Object.fromEntries(findingRows.map((r) => [r.rule, r.n])),
  };
}

export interface OverviewStats {
  failures24h: number;
  failuresPrev24h: number;
  /** Binding failures per day for the last 14 days, by verdict. */
  failuresByDay: Array<{ day: string; verdict: string; n: number }>;
}

export async function getOverviewStats(db: Database, nowMs = Date.now()): Promise<OverviewStats> {
  const fail = VERDICTS.filter((v) => v !== 'ok');
  const [f] = await db.query<{ cur: number; prev: number }>(
    `SELECT (SELECT coalesce(sum(n), 0) FROM (${windowRowsSql(fail, 1)}) x)::int AS cur,
            (SELECT coalesce(sum(n), 0) FROM (${windowRowsSql(fail, 5)}) x)::int AS prev`,
    [...windowParams(nowMs - 86_400_000, nowMs), ...windowParams(nowMs - 2 * 86_400_000, nowMs - 86_400_000)],
  );
  const byDay = await db.query<{ day: string; verdict: string; n: number }>(
    `SELECT to_char(date_trunc('day', at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, "verdict", sum(n)::int AS n
       FROM (${windowRowsSql(fail, 1)}) x
      GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`,
    windowParams(nowMs - 14 * 86_400_000, nowMs),
  );
  return { failures24h: f?.cur ?? 0, failuresPrev24h: f?.prev ?? 0, failuresByDay: byDay };
}
