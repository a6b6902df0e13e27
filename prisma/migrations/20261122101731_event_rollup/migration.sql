-- CreateTable
CREATE TABLE "EventRollup" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "verdict" TEXT NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "EventRollup_pkey" PRIMARY KEY ("hour","verdict")
);

-- Maintained by statement-level triggers over the transition tables, in the same transaction
-- as the write: an INSERT … ON CONFLICT DO NOTHING only lists the rows it really inserted, so
-- re-sent events are never counted twice. Rows are upserted in key order (no lock-order deadlocks).
-- The bodies are E'' strings with \073 for the semicolon: the PostgreSQL adapter's migration
-- runner splits scripts on every semicolon, dollar quotes included.
CREATE FUNCTION "hf_event_rollup_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "EventRollup" ("hour", "verdict", "count")
  SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\', "verdict", count(*)
    FROM hf_new_events GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("hour", "verdict") DO UPDATE SET "count" = "EventRollup"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_event_rollup_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "EventRollup" r SET "count" = r."count" - d.n
    FROM (SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\' AS "hour", "verdict", count(*) AS n
            FROM hf_old_events GROUP BY 1, 2 ORDER BY 1, 2) d
   WHERE r."hour" = d."hour" AND r."verdict" = d."verdict"\073
  DELETE FROM "EventRollup" WHERE "count" <= 0\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_event_rollup_truncate"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "EventRollup"\073
  RETURN NULL\073
END ';

CREATE TRIGGER "BindingEvent_rollup_insert" AFTER INSERT ON "BindingEvent"
  REFERENCING NEW TABLE AS hf_new_events FOR EACH STATEMENT EXECUTE FUNCTION "hf_event_rollup_insert"();
CREATE TRIGGER "BindingEvent_rollup_delete" AFTER DELETE ON "BindingEvent"
  REFERENCING OLD TABLE AS hf_old_events FOR EACH STATEMENT EXECUTE FUNCTION "hf_event_rollup_delete"();
CREATE TRIGGER "BindingEvent_rollup_truncate" AFTER TRUNCATE ON "BindingEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION "hf_event_rollup_truncate"();

-- Backfill: existing databases are right after the upgrade.
INSERT INTO "EventRollup" ("hour", "verdict", "count")
SELECT date_trunc('hour', "occurredAt" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "verdict", count(*)
  FROM "BindingEvent" GROUP BY 1, 2;
