-- What changed since a reader last looked, for readers that keep evidence in memory (the
-- simulation's usage columns, lib/services/simulation/usage-cache.ts). Each change is stamped with
-- the writing transaction's id (xid8): a reader that remembers the snapshot it read at
-- (pg_current_snapshot()) knows exactly which stamps it has not seen, whatever order concurrent
-- transactions committed in — a sequence or a clock could not say that.

-- One row per usage hour and writer stripe: which transaction last wrote usage rows of that hour
-- (lib/services/evidence/usage-versions.ts, after the writer's audit append, so under the audit
-- lock: no new lock order). Retention deletes the rows of the months it drops.
CREATE TABLE "evidence"."UsageVersion" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "stripe" SMALLINT NOT NULL,
    "xid" xid8 NOT NULL,
    CONSTRAINT "UsageVersion_pkey" PRIMARY KEY ("hour", "stripe")
);
INSERT INTO "evidence"."UsageVersion" ("hour", "stripe", "xid")
SELECT DISTINCT "hour", "stripe", pg_current_xact_id() FROM "evidence"."Usage";

-- A token's attributes that decide how a policy treats its requests (binding, lifetime,
-- privileged, audience, identity): the transaction that last set them. New rows take the default,
-- a trigger restamps a row whose attributes change (last-seen times, status and risk order do
-- not). The body is an E'' string with \073 for the semicolon: the PostgreSQL adapter's migration
-- runner splits scripts on every semicolon, dollar quotes included.
ALTER TABLE "Token" ADD COLUMN "attrXid" xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX "Token_attrXid_idx" ON "Token" ("attrXid");
CREATE FUNCTION "hf_token_attr_xid"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  NEW."attrXid" := pg_current_xact_id()\073
  RETURN NEW\073
END ';
CREATE TRIGGER "Token_attr_xid" BEFORE UPDATE ON "Token" FOR EACH ROW
  WHEN (OLD."binding" IS DISTINCT FROM NEW."binding" OR OLD."ttlSeconds" IS DISTINCT FROM NEW."ttlSeconds"
     OR OLD."issuedAt" IS DISTINCT FROM NEW."issuedAt" OR OLD."expiresAt" IS DISTINCT FROM NEW."expiresAt"
     OR OLD."privileged" IS DISTINCT FROM NEW."privileged" OR OLD."audience" IS DISTINCT FROM NEW."audience"
     OR OLD."identityId" IS DISTINCT FROM NEW."identityId")
  EXECUTE FUNCTION "hf_token_attr_xid"();
