-- CreateTable
CREATE TABLE "TokenCount" (
    "binding" "Binding" NOT NULL,
    "status" TEXT NOT NULL,
    "exposure" TEXT NOT NULL,
    "privileged" BOOLEAN NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "TokenCount_pkey" PRIMARY KEY ("binding","status","exposure","privileged")
);

-- Maintained by statement-level triggers over the transition tables, in the same transaction as
-- the write. An INSERT … ON CONFLICT DO UPDATE (the ingest pipeline's token upsert) fires the
-- INSERT trigger with the rows it inserted and the UPDATE trigger with the old and new versions
-- of the rows it updated. An update only moves counts when binding, status, exposure or
-- privileged changed (keys whose net change is zero are not touched, so routine lastSeenAt
-- upserts take no lock here). Rows are upserted in key order (no lock-order deadlocks).
-- The bodies are E'' strings with \073 for the semicolon: the PostgreSQL adapter's migration
-- runner splits scripts on every semicolon, dollar quotes included.
CREATE FUNCTION "hf_token_count_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "TokenCount" ("binding", "status", "exposure", "privileged", "count")
  SELECT "binding", "status", "exposure", "privileged", count(*)
    FROM hf_new_tokens GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
  ON CONFLICT ("binding", "status", "exposure", "privileged") DO UPDATE SET "count" = "TokenCount"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_token_count_update"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "TokenCount" ("binding", "status", "exposure", "privileged", "count")
  SELECT "binding", "status", "exposure", "privileged", sum(d)
    FROM (SELECT "binding", "status", "exposure", "privileged", 1 AS d FROM hf_new_tokens
          UNION ALL
          SELECT "binding", "status", "exposure", "privileged", -1 AS d FROM hf_old_tokens) x
   GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT ("binding", "status", "exposure", "privileged") DO UPDATE SET "count" = "TokenCount"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_token_count_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "TokenCount" c SET "count" = c."count" - d.n
    FROM (SELECT "binding", "status", "exposure", "privileged", count(*) AS n
            FROM hf_old_tokens GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4) d
   WHERE c."binding" = d."binding" AND c."status" = d."status" AND c."exposure" = d."exposure" AND c."privileged" = d."privileged"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_token_count_truncate"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "TokenCount"\073
  RETURN NULL\073
END ';

CREATE TRIGGER "Token_count_insert" AFTER INSERT ON "Token"
  REFERENCING NEW TABLE AS hf_new_tokens FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_count_insert"();
CREATE TRIGGER "Token_count_update" AFTER UPDATE ON "Token"
  REFERENCING OLD TABLE AS hf_old_tokens NEW TABLE AS hf_new_tokens FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_count_update"();
CREATE TRIGGER "Token_count_delete" AFTER DELETE ON "Token"
  REFERENCING OLD TABLE AS hf_old_tokens FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_count_delete"();
CREATE TRIGGER "Token_count_truncate" AFTER TRUNCATE ON "Token"
  FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_count_truncate"();

-- Backfill: existing databases are right after the upgrade.
INSERT INTO "TokenCount" ("binding", "status", "exposure", "privileged", "count")
SELECT "binding", "status", "exposure", "privileged", count(*)
  FROM "Token" GROUP BY 1, 2, 3, 4;
