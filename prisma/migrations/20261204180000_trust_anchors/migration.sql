-- CreateTable
CREATE TABLE "TrustAnchor" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "subjectDn" TEXT NOT NULL,
    "issuerDn" TEXT NOT NULL,
    "x5tS256" TEXT NOT NULL,
    "serial" TEXT NOT NULL,
    "notBefore" TIMESTAMPTZ(3) NOT NULL,
    "notAfter" TIMESTAMPTZ(3) NOT NULL,
    "pem" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "createdBy" TEXT NOT NULL,

    CONSTRAINT "TrustAnchor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Crl" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "anchorId" UUID NOT NULL,
    "number" TEXT,
    "thisUpdate" TIMESTAMPTZ(3) NOT NULL,
    "nextUpdate" TIMESTAMPTZ(3),
    "sha256" TEXT NOT NULL,
    "entryCount" INTEGER NOT NULL,
    "addedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "addedBy" TEXT NOT NULL,

    CONSTRAINT "Crl_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CrlEntry" (
    "crlId" UUID NOT NULL,
    "serial" TEXT NOT NULL,
    "revocationDate" TIMESTAMPTZ(3) NOT NULL,
    "reason" TEXT,

    CONSTRAINT "CrlEntry_pkey" PRIMARY KEY ("crlId","serial")
);

-- CreateIndex
CREATE UNIQUE INDEX "TrustAnchor_x5tS256_key" ON "TrustAnchor"("x5tS256");

-- CreateIndex
CREATE UNIQUE INDEX "Crl_anchorId_key" ON "Crl"("anchorId");

-- AddForeignKey
ALTER TABLE "Crl" ADD CONSTRAINT "Crl_anchorId_fkey" FOREIGN KEY ("anchorId") REFERENCES "TrustAnchor"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CrlEntry" ADD CONSTRAINT "CrlEntry_crlId_fkey" FOREIGN KEY ("crlId") REFERENCES "Crl"("id") ON DELETE CASCADE ON UPDATE CASCADE;
