-- DPoP proofs accepted by earlier ingest batches (lib/services/ingest/proofs-seen.ts): a batch's
-- replay store lives for the batch, so a proof replayed in the next batch (an hourly rotation, a
-- shipper's next post) is found here. "key" is the SHA-256 of the proof's replay key (its target
-- URI and jti), "request" the request key of the request that first presented it (a batch sent
-- again is not a replay of itself), "expiresAt" the end of the proof's acceptance window. Rows are
-- deleted a day after it by the evidence maintenance.
CREATE TABLE "evidence"."ProofSeen" (
    "key" BYTEA NOT NULL,
    "request" BYTEA NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    CONSTRAINT "ProofSeen_pkey" PRIMARY KEY ("key")
);
CREATE INDEX "ProofSeen_expiresAt_idx" ON "evidence"."ProofSeen" ("expiresAt");
