-- CreateTable
CREATE TABLE "EvidenceHold" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,
    "releasedAt" TIMESTAMPTZ(3),
    "releasedBy" TEXT,

    CONSTRAINT "EvidenceHold_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "EvidenceHold_releasedAt_idx" ON "EvidenceHold"("releasedAt");
