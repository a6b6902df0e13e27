-- CreateTable
CREATE TABLE "RolloutPlan" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "policy" JSONB NOT NULL,
    "rangeFrom" TIMESTAMPTZ(3) NOT NULL,
    "rangeTo" TIMESTAMPTZ(3) NOT NULL,
    "exceptions" JSONB NOT NULL DEFAULT '[]',
    "plan" JSONB NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,

    CONSTRAINT "RolloutPlan_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "RolloutPlan_createdAt_idx" ON "RolloutPlan"("createdAt");
