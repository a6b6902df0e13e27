-- The TCP peers that forwarded a client-certificate header to a source's backend
-- (lib/services/ingest/forwarders.ts): the edges as the logs show them. Upserted once per batch,
-- inside the batch's transaction.
CREATE TABLE "SourceForwarder" (
    "sourceId" UUID NOT NULL,
    "peer" TEXT NOT NULL,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL,
    "lines" BIGINT NOT NULL,
    "believedLines" BIGINT NOT NULL DEFAULT 0,
    "lastBelievedAt" TIMESTAMPTZ(3),
    "firstBatchId" UUID NOT NULL,

    CONSTRAINT "SourceForwarder_pkey" PRIMARY KEY ("sourceId", "peer")
);

ALTER TABLE "SourceForwarder" ADD CONSTRAINT "SourceForwarder_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
