-- CreateTable
CREATE TABLE "FindingCount" (
    "rule" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "onToken" BOOLEAN NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "FindingCount_pkey" PRIMARY KEY ("rule","status","onToken")
);

-- Kept like "TokenCount" (see 20261122113941_token_counts): statement-level triggers over the
-- transition tables in the writing transaction, keys whose net change is zero untouched, rows
-- upserted in key order. The findings engine's status changes (open, acknowledged, resolved) go
-- through the UPDATE trigger. Bodies are E'' strings with \073 for the semicolon (the
-- PostgreSQL adapter's migration runner splits scripts on every semicolon).
CREATE FUNCTION "hf_finding_count_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "FindingCount" ("rule", "status", "onToken", "count")
  SELECT "rule", "status", "tokenId" IS NOT NULL, count(*)
    FROM hf_new_findings GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT ("rule", "status", "onToken") DO UPDATE SET "count" = "FindingCount"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_finding_count_update"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "FindingCount" ("rule", "status", "onToken", "count")
  SELECT "rule", "status", "onToken", sum(d)
    FROM (SELECT "rule", "status", "tokenId" IS NOT NULL AS "onToken", 1 AS d FROM hf_new_findings
          UNION ALL
          SELECT "rule", "status", "tokenId" IS NOT NULL AS "onToken", -1 AS d FROM hf_old_findings) x
   GROUP BY 1, 2, 3 HAVING sum(d) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT ("rule", "status", "onToken") DO UPDATE SET "count" = "FindingCount"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_finding_count_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "FindingCount" c SET "count" = c."count" - d.n
    FROM (SELECT "rule", "status", "tokenId" IS NOT NULL AS "onToken", count(*) AS n
            FROM hf_old_findings GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) d
   WHERE c."rule" = d."rule" AND c."status" = d."status" AND c."onToken" = d."onToken"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_finding_count_truncate"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "FindingCount"\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Finding_count_insert" AFTER INSERT ON "Finding"
  REFERENCING NEW TABLE AS hf_new_findings FOR EACH STATEMENT EXECUTE FUNCTION "hf_finding_count_insert"();
CREATE TRIGGER "Finding_count_update" AFTER UPDATE ON "Finding"
  REFERENCING OLD TABLE AS hf_old_findings NEW TABLE AS hf_new_findings FOR EACH STATEMENT EXECUTE FUNCTION "hf_finding_count_update"();
CREATE TRIGGER "Finding_count_delete" AFTER DELETE ON "Finding"
  REFERENCING OLD TABLE AS hf_old_findings FOR EACH STATEMENT EXECUTE FUNCTION "hf_finding_count_delete"();
CREATE TRIGGER "Finding_count_truncate" AFTER TRUNCATE ON "Finding"
  FOR EACH STATEMENT EXECUTE FUNCTION "hf_finding_count_truncate"();

-- Backfill: existing databases are right after the upgrade.
INSERT INTO "FindingCount" ("rule", "status", "onToken", "count")
SELECT "rule", "status", "tokenId" IS NOT NULL, count(*)
  FROM "Finding" GROUP BY 1, 2, 3;
