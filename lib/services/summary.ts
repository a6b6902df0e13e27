// Estate summary (CONTRACT.md `summary`, /api/v1/summary, Overview KPIs). Counts come from
// set-based SQL, never from loading rows.
import type { Database } from '../db/open.ts';

export interface Summary {
  identities: number;
  tokens: { total: number; bearer: number; mtls: number; dpop: number; unboundHighRisk: number; exposedActive: number };
  certificates: number;
  events: number;
  findings: Record<string, number>;
}

/**
 * "Unbound high-risk": an active bearer token that is privileged (policy-classified scopes or
 * audiences) or belongs to an AI agent — what a thief could replay with the most effect.
 */
export const UNBOUND_HIGH_RISK_SQL = `t."binding" = 'bearer' AND t."status" = 'active' AND (t."privileged" OR i."kind" = 'agent')`;

export async function getSummary(db: Database): Promise<Summary> {
  const [tok] = await db.query<{
    total: number; bearer: number; mtls: number; dpop: number; unbound: number; exposed: number;
  }>(`SELECT count(*)::int AS total,
            count(*) FILTER (WHERE t."binding" = 'bearer')::int AS bearer,
            count(*) FILTER (WHERE t."binding" = 'mtls')::int AS mtls,
            count(*) FILTER (WHERE t."binding" = 'dpop')::int AS dpop,
            count(*) FILTER (WHERE ${UNBOUND_HIGH_RISK_SQL})::int AS unbound,
            count(*) FILTER (WHERE t."exposure" = 'exposed' AND t."status" = 'active')::int AS exposed
       FROM "Token" t JOIN "Identity" i ON i."id" = t."identityId"`);
  const [other] = await db.query<{ identities: number; certificates: number; events: number }>(
    `SELECT (SELECT count(*) FROM "Identity")::int AS identities,
            (SELECT count(*) FROM "Certificate")::int AS certificates,
            (SELECT count(*) FROM "BindingEvent")::int AS events`,
  );
  const findingRows = await db.query<{ rule: string; n: number }>(
    `SELECT "rule", count(*)::int AS n FROM "Finding" WHERE "status" <> 'resolved' GROUP BY "rule" ORDER BY "rule"`,
  );
  return {
    identities: other?.identities ?? 0,
    tokens: {
      total: tok?.total ?? 0,
      bearer: tok?.bearer ?? 0,
      mtls: tok?.mtls ?? 0,
      dpop: tok?.dpop ?? 0,
      unboundHighRisk: tok?.unbound ?? 0,
      exposedActive: tok?.exposed ?? 0,
    },
    certificates: other?.certificates ?? 0,
    events: other?.events ?? 0,
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
  const now = new Date(nowMs);
  const [f] = await db.query<{ cur: number; prev: number }>(
    `SELECT count(*) FILTER (WHERE "occurredAt" > $1::timestamptz - interval '24 hours')::int AS cur,
            count(*) FILTER (WHERE "occurredAt" <= $1::timestamptz - interval '24 hours')::int AS prev
       FROM "BindingEvent"
      WHERE "verdict" <> 'ok' AND "occurredAt" > $1::timestamptz - interval '48 hours' AND "occurredAt" <= $1::timestamptz`,
    [now.toISOString()],
  );
  const byDay = await db.query<{ day: string; verdict: string; n: number }>(
    `SELECT to_char(date_trunc('day', "occurredAt" AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, "verdict", count(*)::int AS n
       FROM "BindingEvent"
      WHERE "verdict" <> 'ok' AND "occurredAt" > $1::timestamptz - interval '14 days' AND "occurredAt" <= $1::timestamptz
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [now.toISOString()],
  );
  return { failures24h: f?.cur ?? 0, failuresPrev24h: f?.prev ?? 0, failuresByDay: byDay };
}
