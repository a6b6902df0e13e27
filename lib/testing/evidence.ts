// Test support: the requests the evidence store holds, one row each, in the shape tests assert on
// (verdict and reason as names, the request id whether the key carries it or the row does, the
// full line and URL where the request is notable).
import type { Database } from '../db/open.ts';
import { verdictNameSql } from '../domain/verdict-codes.ts';
import { ledgerIdentitySql } from '../services/evidence/writer.ts';

export interface StoredRequest {
  requestId: string | null;
  occurredAt: Date;
  verdict: string;
  reason: string | null;
  identityId: string | null;
  tokenId: string | null;
  x5tS256: string | null;
  url: string | null;
  redactedRaw: string | null;
  notable: boolean;
}

/** Every request in the ledger (the dedupe window), with its notable row's details when it has one. */
export async function storedRequests(db: Database, where = 'true', params: unknown[] = []): Promise<StoredRequest[]> {
  return db.query<StoredRequest>(
    `SELECT * FROM (
       SELECT CASE get_byte(r."key", 0) WHEN 1 THEN encode(substring(r."key" FROM 2), 'hex') WHEN 2 THEN encode(substring(r."key" FROM 2), 'hex')::uuid::text
                   ELSE r."requestId" END AS "requestId",
              r."occurredAt", ${verdictNameSql('r."verdict"')} AS verdict, coalesce(n.reason, rs."value") AS reason,
              ${ledgerIdentitySql()}::text AS "identityId", r."tokenId"::text AS "tokenId",
              CASE WHEN c."kind" = 5 THEN c."value" END AS "x5tS256", n.url, n."redactedRaw", n."key" IS NOT NULL AS notable
         FROM "evidence"."Request" r
         LEFT JOIN "Token" t ON t.id = r."tokenId"
         LEFT JOIN "evidence"."Dim" rs ON rs.id = r."reason"
         LEFT JOIN "evidence"."Dim" c ON c.id = r."cert"
         LEFT JOIN "evidence"."Notable" n ON n."ns" = r."ns" AND n."key" = r."key" AND n."occurredAt" = r."occurredAt") x
      WHERE ${where} ORDER BY "occurredAt", "requestId"`,
    params,
  );
}

/** Requests the ledger holds. */
export async function requestCount(db: Database): Promise<number> {
  return Number((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Request"`))[0]!.n);
}

/** Every evidence row as stored (ledger, notable, usage totals per key), to compare before and after a re-send. */
export async function evidenceDump(db: Database): Promise<Record<string, unknown[]>> {
  return {
    requests: await db.query(`SELECT "day", "ns", encode("key", 'hex') AS key, "occurredAt", "verdict", "reason", "identityId", "tokenId", "cert", "jkt", "gateway", "network", "httpStatus", "requestId"
                                FROM "evidence"."Request" ORDER BY 3, 1`),
    notable: await db.query(`SELECT "ns", encode("key", 'hex') AS key, "occurredAt", "verdict", "reason", "identityId", "tokenId", "x5tS256", "redactedRaw" FROM "evidence"."Notable" ORDER BY 2, 3`),
    usage: await db.query(`SELECT "hour", encode("aggKey", 'hex') AS k, sum("count")::int AS n, min("firstAt") AS "firstAt", max("lastAt") AS "lastAt" FROM "evidence"."Usage" GROUP BY 1, 2 ORDER BY 1, 2`),
  };
}
