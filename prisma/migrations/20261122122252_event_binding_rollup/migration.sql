-- AlterTable
ALTER TABLE "BindingEvent" ADD COLUMN     "binding" TEXT;

-- CreateTable
CREATE TABLE "EventBindingRollup" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "binding" TEXT NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "EventBindingRollup_pkey" PRIMARY KEY ("hour","binding")
);

-- Existing events get the binding their token has now (the closest fact available).
UPDATE "BindingEvent" e SET "binding" = t."binding"::text FROM "Token" t WHERE t."id" = e."tokenId";

-- Kept like "EventRollup": statement-level triggers over the transition tables, same transaction
-- as the write: only rows really inserted / deleted are listed, rows upserted in key order. The
-- bodies are E'' strings with \073 for the semicolon (the PostgreSQL adapter's migration runner
-- splits scripts on every semicolon).
CREATE FUNCTION "hf_event_binding_rollup_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "EventBindingRollup" ("hour", "binding", "count")
  SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\', "binding", count(*)
    FROM hf_new_binding_events WHERE "binding" IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("hour", "binding") DO UPDATE SET "count" = "EventBindingRollup"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_event_binding_rollup_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "EventBindingRollup" r SET "count" = r."count" - d.n
    FROM (SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\' AS "hour", "binding", count(*) AS n
            FROM hf_old_binding_events WHERE "binding" IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2) d
   WHERE r."hour" = d."hour" AND r."binding" = d."binding"\073
  DELETE FROM "EventBindingRollup" WHERE "count" <= 0\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_event_binding_rollup_truncate"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "EventBindingRollup"\073
  RETURN NULL\073
END ';

CREATE TRIGGER "BindingEvent_binding_rollup_insert" AFTER INSERT ON "BindingEvent"
  REFERENCING NEW TABLE AS hf_new_binding_events FOR EACH STATEMENT EXECUTE FUNCTION "hf_event_binding_rollup_insert"();
CREATE TRIGGER "BindingEvent_binding_rollup_delete" AFTER DELETE ON "BindingEvent"
  REFERENCING OLD TABLE AS hf_old_binding_events FOR EACH STATEMENT EXECUTE FUNCTION "hf_event_binding_rollup_delete"();
CREATE TRIGGER "BindingEvent_binding_rollup_truncate" AFTER TRUNCATE ON "BindingEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION "hf_event_binding_rollup_truncate"();

INSERT INTO "EventBindingRollup" ("hour", "binding", "count")
SELECT date_trunc('hour', "occurredAt" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "binding", count(*)
  FROM "BindingEvent" WHERE "binding" IS NOT NULL GROUP BY 1, 2;
