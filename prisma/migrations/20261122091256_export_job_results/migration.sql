-- AlterTable
ALTER TABLE "ExportJob" ADD COLUMN     "bytes" BIGINT,
ADD COLUMN     "controls" INTEGER,
ADD COLUMN     "findings" INTEGER,
ADD COLUMN     "frameworkVersion" TEXT;

-- CreateIndex
CREATE INDEX "ExportJob_createdAt_idx" ON "ExportJob"("createdAt");
