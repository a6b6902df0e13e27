-- CreateTable
CREATE TABLE "DpopProofSeen" (
    "keyHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "DpopProofSeen_pkey" PRIMARY KEY ("keyHash")
);

-- CreateIndex
CREATE INDEX "DpopProofSeen_expiresAt_idx" ON "DpopProofSeen"("expiresAt");
