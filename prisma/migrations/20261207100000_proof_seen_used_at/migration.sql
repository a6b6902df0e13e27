-- When the request that presented a DPoP proof happened (lib/services/ingest/proofs-seen.ts): a
-- batch ingested out of order holds requests earlier than the stored use, which are not replays of
-- it (the stored one is). Rows written before this column have none: they count as earlier than
-- any request, as before.
ALTER TABLE "evidence"."ProofSeen" ADD COLUMN "usedAt" TIMESTAMPTZ(3);
