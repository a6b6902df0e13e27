-- Tokens known and ended per hour, so that the Overview's trends (the estate now and at the window's
-- start) never scan "Token" (issue #15: ~1 s of the uncached Overview at 1 M tokens was that scan).
-- A token is live at instant x when firstSeenAt <= x < its end, the earlier of revokedAt and
-- expiresAt (none: it never ends). So the tokens live at x are those known by x minus those ended
-- by x, where a token has ended by x when greatest(firstSeenAt, end) <= x (a token seen after its
-- expiry never was live). Per class (binding × TTL bucket × exposed × privileged × active) this
-- table keeps both edges per whole hour (UTC): edge 0 counts tokens first seen in that hour, edge 1
-- tokens ended in it. A reader sums the whole hours before x's hour and counts the tokens of x's own
-- hour from "Token" through the firstSeenAt / revokedAt / expiresAt indexes: exact at any instant.
CREATE TABLE "TokenTimeline" (
    "binding" "Binding" NOT NULL,
    "ttlBucket" SMALLINT NOT NULL,
    "exposed" BOOLEAN NOT NULL,
    "privileged" BOOLEAN NOT NULL,
    "active" BOOLEAN NOT NULL,
    "edge" SMALLINT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "count" BIGINT NOT NULL,

    CONSTRAINT "TokenTimeline_pkey" PRIMARY KEY ("binding","ttlBucket","exposed","privileged","active","edge","hour")
);

CREATE INDEX "Token_firstSeenAt_idx" ON "Token"("firstSeenAt");
CREATE INDEX "Token_revokedAt_idx" ON "Token"("revokedAt");

-- The Overview's TTL bucket of a token: the index in TTL_BUCKETS (lib/services/estate/overview.ts),
-- or -1 for an expiry without a recorded lifetime.
CREATE FUNCTION "hf_ttl_bucket"(ttl INTEGER, expires TIMESTAMPTZ) RETURNS SMALLINT LANGUAGE sql IMMUTABLE PARALLEL SAFE AS E'
  SELECT (CASE WHEN ttl IS NULL AND expires IS NULL THEN 5
               WHEN ttl < 3600 THEN 0 WHEN ttl < 86400 THEN 1 WHEN ttl < 604800 THEN 2
               WHEN ttl < 7776000 THEN 3 WHEN ttl IS NOT NULL THEN 4 ELSE -1 END)::smallint';

-- When a token stopped being live: the earlier of its revocation and its expiry, and never before
-- it was first seen, or NULL when it has neither.
CREATE FUNCTION "hf_token_ended_at"(first TIMESTAMPTZ, revoked TIMESTAMPTZ, expires TIMESTAMPTZ) RETURNS TIMESTAMPTZ LANGUAGE sql IMMUTABLE PARALLEL SAFE AS E'
  SELECT CASE WHEN revoked IS NULL AND expires IS NULL THEN NULL ELSE greatest(first, least(revoked, expires)) END';

-- The whole UTC hour holding an instant, whatever the session's time zone.
CREATE FUNCTION "hf_hour"(at TIMESTAMPTZ) RETURNS TIMESTAMPTZ LANGUAGE sql IMMUTABLE PARALLEL SAFE AS E'
  SELECT date_bin(''1 hour'', at, TIMESTAMPTZ ''2000-01-01 00:00:00+00'')';

-- A token row's edges in the timeline: its class, and (edge, hour) once for its start and once for
-- its end when it has one.
CREATE FUNCTION "hf_token_edges"(bnd "Binding", ttl INTEGER, expires TIMESTAMPTZ, expo TEXT, priv BOOLEAN, stat TEXT, first TIMESTAMPTZ, revoked TIMESTAMPTZ)
  RETURNS TABLE (binding "Binding", b SMALLINT, x BOOLEAN, p BOOLEAN, a BOOLEAN, edge SMALLINT, h TIMESTAMPTZ) LANGUAGE sql IMMUTABLE PARALLEL SAFE AS E'
  SELECT bnd, hf_ttl_bucket(ttl, expires), expo = ''exposed'', priv, stat = ''active'', v.edge, v.h
    FROM (VALUES (0::smallint, hf_hour(first)), (1::smallint, hf_hour(hf_token_ended_at(first, revoked, expires)))) v(edge, h)
   WHERE v.h IS NOT NULL';

-- Kept by statement-level triggers like "TokenCount": in the same transaction, keys upserted in
-- order, and an update that moves no edge (such as the ingest's lastSeenAt upsert) writes nothing.
-- The bodies are E'' strings with \073 for the semicolon: the migration runner splits scripts on every semicolon.
CREATE FUNCTION "hf_token_timeline_insert"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "TokenTimeline" ("binding", "ttlBucket", "exposed", "privileged", "active", "edge", "hour", "count")
  SELECT e.binding, e.b, e.x, e.p, e.a, e.edge, e.h, count(*)
    FROM hf_new_tokens t,
         LATERAL hf_token_edges(t."binding", t."ttlSeconds", t."expiresAt", t.exposure, t.privileged, t.status, t."firstSeenAt", t."revokedAt") e
   GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ("binding", "ttlBucket", "exposed", "privileged", "active", "edge", "hour") DO UPDATE SET "count" = "TokenTimeline"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_token_timeline_update"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  INSERT INTO "TokenTimeline" ("binding", "ttlBucket", "exposed", "privileged", "active", "edge", "hour", "count")
  SELECT e.binding, e.b, e.x, e.p, e.a, e.edge, e.h, sum(d)
    FROM (SELECT *, 1 AS d FROM hf_new_tokens UNION ALL SELECT *, -1 AS d FROM hf_old_tokens) t,
         LATERAL hf_token_edges(t."binding", t."ttlSeconds", t."expiresAt", t.exposure, t.privileged, t.status, t."firstSeenAt", t."revokedAt") e
   GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7
  ON CONFLICT ("binding", "ttlBucket", "exposed", "privileged", "active", "edge", "hour") DO UPDATE SET "count" = "TokenTimeline"."count" + excluded."count"\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_token_timeline_delete"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  UPDATE "TokenTimeline" tl SET "count" = tl."count" - d.n
    FROM (SELECT e.binding, e.b, e.x, e.p, e.a, e.edge, e.h, count(*) AS n
            FROM hf_old_tokens t,
                 LATERAL hf_token_edges(t."binding", t."ttlSeconds", t."expiresAt", t.exposure, t.privileged, t.status, t."firstSeenAt", t."revokedAt") e
           GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7) d
   WHERE tl."binding" = d.binding AND tl."ttlBucket" = d.b AND tl."exposed" = d.x AND tl."privileged" = d.p AND tl."active" = d.a
     AND tl."edge" = d.edge AND tl."hour" = d.h\073
  RETURN NULL\073
END ';

CREATE FUNCTION "hf_token_timeline_truncate"() RETURNS trigger LANGUAGE plpgsql AS E'
BEGIN
  DELETE FROM "TokenTimeline"\073
  RETURN NULL\073
END ';

-- Named after "Token_count_*" so that they fire after them (triggers fire in name order): every
-- writer takes the two tables' row locks in the same order.
CREATE TRIGGER "Token_timeline_insert" AFTER INSERT ON "Token"
  REFERENCING NEW TABLE AS hf_new_tokens FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_timeline_insert"();
CREATE TRIGGER "Token_timeline_update" AFTER UPDATE ON "Token"
  REFERENCING OLD TABLE AS hf_old_tokens NEW TABLE AS hf_new_tokens FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_timeline_update"();
CREATE TRIGGER "Token_timeline_delete" AFTER DELETE ON "Token"
  REFERENCING OLD TABLE AS hf_old_tokens FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_timeline_delete"();
CREATE TRIGGER "Token_timeline_truncate" AFTER TRUNCATE ON "Token"
  FOR EACH STATEMENT EXECUTE FUNCTION "hf_token_timeline_truncate"();

-- Backfill: existing databases are right after the upgrade.
INSERT INTO "TokenTimeline" ("binding", "ttlBucket", "exposed", "privileged", "active", "edge", "hour", "count")
SELECT e.binding, e.b, e.x, e.p, e.a, e.edge, e.h, count(*)
  FROM "Token" t,
       LATERAL hf_token_edges(t."binding", t."ttlSeconds", t."expiresAt", t.exposure, t.privileged, t.status, t."firstSeenAt", t."revokedAt") e
 GROUP BY 1, 2, 3, 4, 5, 6, 7;
