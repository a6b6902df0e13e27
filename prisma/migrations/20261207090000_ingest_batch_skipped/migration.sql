-- Lines a batch read that hold no record (blank lines, headers, a gateway's own service lines such as
-- HAProxy's handshake failures), so that linesRead = accepted + rejected + duplicates + skipped.
ALTER TABLE "IngestBatch" ADD COLUMN "skipped" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "IngestBatch" ADD COLUMN "skippedReasons" JSONB NOT NULL DEFAULT '{}';
