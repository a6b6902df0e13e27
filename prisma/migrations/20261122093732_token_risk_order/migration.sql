-- AlterTable
ALTER TABLE "Token" ADD COLUMN     "riskFindings" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "riskOrder" BIGINT NOT NULL DEFAULT 99999999;

-- CreateIndex
CREATE INDEX "Token_riskOrder_id_idx" ON "Token"("riskOrder", "id");
