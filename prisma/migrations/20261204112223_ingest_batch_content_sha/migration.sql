-- CreateIndex
CREATE INDEX "IngestBatch_contentSha256_idx" ON "IngestBatch"("contentSha256");
