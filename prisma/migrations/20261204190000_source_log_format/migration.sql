-- AlterTable
ALTER TABLE "IngestBatch" ADD COLUMN     "logFormatSha256" TEXT;

-- CreateTable
CREATE TABLE "SourceLogFormat" (
    "sourceId" UUID NOT NULL,
    "gateway" TEXT NOT NULL,
    "config" TEXT NOT NULL,
    "logFormat" TEXT,
    "name" TEXT NOT NULL,
    "sha256" TEXT NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedBy" TEXT NOT NULL,

    CONSTRAINT "SourceLogFormat_pkey" PRIMARY KEY ("sourceId")
);

-- AddForeignKey
ALTER TABLE "SourceLogFormat" ADD CONSTRAINT "SourceLogFormat_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE CASCADE ON UPDATE CASCADE;
