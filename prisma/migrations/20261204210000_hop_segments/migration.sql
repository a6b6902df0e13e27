-- Single hops cost next to nothing (issue #15, docs/EVIDENCE.md "Hops"): a request that carried a
-- correlation id no longer gets an evidence."Hop" row of its own while it is the only hop seen of its
-- request. Its hop facts are packed with those of the other requests of its chunk, source, side of the
-- edge and day into one segment row of the same table (lib/services/evidence/hop-segments.ts).
-- A segment row has "corr" = the single byte 00 (never a correlation key, which is 17 bytes), "key" =
-- 00 and 16 random bytes (never a ledger key), "occurredAt" and "until" the span of its requests,
-- "role" the side of the edge (0 edge, 1 backend), "packed" the packed facts and "corrText" the rare
-- texts (certificate names, correlation ids that are not hex or UUIDs) as JSON. Rows of requests seen
-- by two hops or more are unchanged and have these three columns NULL (no bytes: the null bitmap).
-- Same partitions and retention as the hops (daily, the dedupe window).
ALTER TABLE "evidence"."Hop" ADD COLUMN "until" TIMESTAMPTZ(3);
ALTER TABLE "evidence"."Hop" ADD COLUMN "role" SMALLINT;
ALTER TABLE "evidence"."Hop" ADD COLUMN "packed" BYTEA;
