-- CreateTable
CREATE TABLE "RateWindow" (
    "keyHash" TEXT NOT NULL,
    "windowStart" TIMESTAMPTZ(3) NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "RateWindow_pkey" PRIMARY KEY ("keyHash","windowStart")
);

-- CreateIndex
CREATE INDEX "RateWindow_windowStart_idx" ON "RateWindow"("windowStart");
