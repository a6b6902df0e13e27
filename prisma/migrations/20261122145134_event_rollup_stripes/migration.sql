-- AlterTable
ALTER TABLE "EventBindingRollup" DROP CONSTRAINT "EventBindingRollup_pkey",
ADD COLUMN     "stripe" SMALLINT NOT NULL DEFAULT 0,
ADD CONSTRAINT "EventBindingRollup_pkey" PRIMARY KEY ("hour", "binding", "stripe");

-- AlterTable
ALTER TABLE "EventRollup" DROP CONSTRAINT "EventRollup_pkey",
ADD COLUMN     "stripe" SMALLINT NOT NULL DEFAULT 0,
ADD CONSTRAINT "EventRollup_pkey" PRIMARY KEY ("hour", "verdict", "stripe");

-- Every ingest batch used to upsert the same (hour, verdict) rows, and an upserted row stays
-- locked until the writer commits: concurrent batches (several gateways, several app instances)
-- queued behind one another for their whole length. Each writer now adds to its own stripe
-- (its backend pid modulo 8), so two batches meet on a row only when their connections share a
-- stripe. Readers already sum. Deletes subtract in the deleter's stripe (a stripe may go
-- negative, the sum stays exact) and drop the rows that reach zero. Rows are still upserted in
-- key order. Bodies are E'' strings with \073 for the semicolon: the migration runner splits
-- scripts on every semicolon, comments included, so these comments have none.
CREATE OR REPLACE FUNCTION "hf_event_rollup_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "EventRollup" ("hour", "verdict", "stripe", "count")
  SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\', "verdict", (pg_backend_pid() % 8)::smallint, count(*)
    FROM hf_new_events GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("hour", "verdict", "stripe") DO UPDATE SET "count" = "EventRollup"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE OR REPLACE FUNCTION "hf_event_rollup_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "EventRollup" ("hour", "verdict", "stripe", "count")
  SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\', "verdict", (pg_backend_pid() % 8)::smallint, -count(*)
    FROM hf_old_events GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("hour", "verdict", "stripe") DO UPDATE SET "count" = "EventRollup"."count" + excluded."count"\073
  DELETE FROM "EventRollup" WHERE "count" = 0\073
  RETURN NULL\073
END ';

CREATE OR REPLACE FUNCTION "hf_event_binding_rollup_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "EventBindingRollup" ("hour", "binding", "stripe", "count")
  SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\', "binding", (pg_backend_pid() % 8)::smallint, count(*)
    FROM hf_new_binding_events WHERE "binding" IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("hour", "binding", "stripe") DO UPDATE SET "count" = "EventBindingRollup"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE OR REPLACE FUNCTION "hf_event_binding_rollup_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "EventBindingRollup" ("hour", "binding", "stripe", "count")
  SELECT date_trunc(\'hour\', "occurredAt" AT TIME ZONE \'UTC\') AT TIME ZONE \'UTC\', "binding", (pg_backend_pid() % 8)::smallint, -count(*)
    FROM hf_old_binding_events WHERE "binding" IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT ("hour", "binding", "stripe") DO UPDATE SET "count" = "EventBindingRollup"."count" + excluded."count"\073
  DELETE FROM "EventBindingRollup" WHERE "count" = 0\073
  RETURN NULL\073
END ';
