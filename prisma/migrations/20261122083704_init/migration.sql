-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('analyst', 'operator', 'auditor', 'admin');

-- CreateEnum
CREATE TYPE "Binding" AS ENUM ('bearer', 'mtls', 'dpop');

-- CreateTable
CREATE TABLE "User" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "email" TEXT NOT NULL,
    "passwordHash" TEXT,
    "role" "Role" NOT NULL,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "failedLogins" INTEGER NOT NULL DEFAULT 0,
    "lockedUntil" TIMESTAMPTZ(3),
    "sessionEpoch" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "epoch" INTEGER NOT NULL,
    "csrfSecret" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "ip" TEXT,
    "userAgent" TEXT,

    CONSTRAINT "Session_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SetupToken" (
    "id" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "usedAt" TIMESTAMPTZ(3),

    CONSTRAINT "SetupToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiKey" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "hashedKey" TEXT NOT NULL,
    "displayStub" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "scopes" TEXT[],
    "dpopJkt" TEXT,
    "sourceId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Identity" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "displayName" TEXT,
    "kind" TEXT NOT NULL,
    "owner" TEXT,
    "ownerStatus" TEXT NOT NULL DEFAULT 'active',
    "status" TEXT NOT NULL DEFAULT 'active',
    "environment" TEXT,
    "transport" TEXT NOT NULL DEFAULT 'unknown',
    "spiffeId" TEXT,
    "clientId" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3),
    "decommissionedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Identity_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Token" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "fingerprint" TEXT NOT NULL,
    "identityId" UUID NOT NULL,
    "tokenType" TEXT NOT NULL DEFAULT 'access',
    "jti" TEXT,
    "issuer" TEXT,
    "subject" TEXT,
    "clientId" TEXT,
    "audience" TEXT[],
    "scopes" TEXT[],
    "issuedAt" TIMESTAMPTZ(3),
    "expiresAt" TIMESTAMPTZ(3),
    "ttlSeconds" INTEGER,
    "binding" "Binding" NOT NULL,
    "cnfX5tS256" TEXT,
    "cnfJkt" TEXT,
    "bindingAnomaly" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'active',
    "exposure" TEXT NOT NULL DEFAULT 'none',
    "privileged" BOOLEAN NOT NULL DEFAULT false,
    "certificateId" UUID,
    "sourceId" UUID,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3),
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Token_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Certificate" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "x5tS256" TEXT NOT NULL,
    "sha1Hex" TEXT,
    "subjectDn" TEXT,
    "issuerDn" TEXT,
    "serial" TEXT,
    "notBefore" TIMESTAMPTZ(3),
    "notAfter" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL DEFAULT 'active',
    "identityId" UUID,
    "caName" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Certificate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Source" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "format" TEXT,
    "description" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3),
    "eventsTotal" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "Source_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IngestBatch" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "sourceId" UUID,
    "format" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'running',
    "linesRead" INTEGER NOT NULL DEFAULT 0,
    "accepted" INTEGER NOT NULL DEFAULT 0,
    "rejected" INTEGER NOT NULL DEFAULT 0,
    "duplicates" INTEGER NOT NULL DEFAULT 0,
    "errors" JSONB NOT NULL DEFAULT '[]',
    "contentSha256" TEXT,
    "createdBy" TEXT,
    "startedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "IngestBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BindingEvent" (
    "id" BIGSERIAL NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "batchId" UUID,
    "sourceId" UUID,
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "requestId" TEXT,
    "gateway" TEXT,
    "method" TEXT,
    "url" TEXT,
    "clientIp" TEXT,
    "httpStatus" INTEGER,
    "authScheme" TEXT,
    "hasDpop" BOOLEAN NOT NULL DEFAULT false,
    "identityId" UUID,
    "tokenId" UUID,
    "tokenFingerprint" TEXT,
    "x5tS256" TEXT,
    "sha1Hex" TEXT,
    "jkt" TEXT,
    "verdict" TEXT NOT NULL,
    "reason" TEXT,
    "redactedRaw" TEXT,

    CONSTRAINT "BindingEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExposureFinding" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "dedupeKey" TEXT NOT NULL,
    "tokenId" UUID,
    "fingerprint" TEXT NOT NULL,
    "scanner" TEXT NOT NULL,
    "ruleId" TEXT,
    "location" TEXT,
    "commit" TEXT,
    "foundAt" TIMESTAMPTZ(3) NOT NULL,
    "batchId" UUID,

    CONSTRAINT "ExposureFinding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Finding" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "dedupeKey" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'open',
    "identityId" UUID,
    "tokenId" UUID,
    "certificateId" UUID,
    "title" TEXT NOT NULL,
    "explanation" TEXT NOT NULL,
    "recommendation" TEXT NOT NULL,
    "evidence" JSONB NOT NULL DEFAULT '{}',
    "blastRadius" INTEGER NOT NULL DEFAULT 0,
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),
    "ackReason" TEXT,
    "ackUntil" TIMESTAMPTZ(3),
    "ackBy" TEXT,

    CONSTRAINT "Finding_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "FindingHistory" (
    "id" BIGSERIAL NOT NULL,
    "findingId" UUID NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "action" TEXT NOT NULL,
    "actor" TEXT,
    "note" TEXT,

    CONSTRAINT "FindingHistory_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Framework" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "custom" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Framework_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Control" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "frameworkId" TEXT NOT NULL,
    "controlId" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "description" TEXT,

    CONSTRAINT "Control_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ControlMapping" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "controlId" UUID NOT NULL,
    "subject" TEXT NOT NULL,
    "rationale" TEXT NOT NULL,

    CONSTRAINT "ControlMapping_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ExportJob" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "framework" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "state" TEXT NOT NULL DEFAULT 'queued',
    "progress" INTEGER NOT NULL DEFAULT 0,
    "requestedBy" TEXT NOT NULL,
    "rangeFrom" TIMESTAMPTZ(3),
    "rangeTo" TIMESTAMPTZ(3),
    "filePath" TEXT,
    "sha256" TEXT,
    "error" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ExportJob_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Connector" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "matchIssuer" TEXT,
    "matchCa" TEXT,
    "config" JSONB NOT NULL DEFAULT '{}',
    "sealedSecrets" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Connector_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Revocation" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "state" TEXT NOT NULL DEFAULT 'pending',
    "reason" TEXT NOT NULL,
    "requestedBy" TEXT NOT NULL,
    "bulkId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Revocation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RevocationLeg" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "revocationId" UUID NOT NULL,
    "kind" TEXT NOT NULL,
    "tokenId" UUID,
    "certificateId" UUID,
    "connectorId" UUID,
    "state" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lastError" TEXT,
    "nextAttemptAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimedBy" TEXT,
    "claimedUntil" TIMESTAMPTZ(3),
    "confirmedAt" TIMESTAMPTZ(3),
    "sealedToken" TEXT,

    CONSTRAINT "RevocationLeg_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AuditEntry" (
    "seq" BIGSERIAL NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "prevHash" TEXT NOT NULL,
    "hash" TEXT NOT NULL,

    CONSTRAINT "AuditEntry_pkey" PRIMARY KEY ("seq")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "Session_expiresAt_idx" ON "Session"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "ApiKey_hashedKey_key" ON "ApiKey"("hashedKey");

-- CreateIndex
CREATE UNIQUE INDEX "Identity_name_key" ON "Identity"("name");

-- CreateIndex
CREATE INDEX "Identity_kind_idx" ON "Identity"("kind");

-- CreateIndex
CREATE INDEX "Identity_clientId_idx" ON "Identity"("clientId");

-- CreateIndex
CREATE INDEX "Identity_spiffeId_idx" ON "Identity"("spiffeId");

-- CreateIndex
CREATE UNIQUE INDEX "Token_fingerprint_key" ON "Token"("fingerprint");

-- CreateIndex
CREATE INDEX "Token_identityId_idx" ON "Token"("identityId");

-- CreateIndex
CREATE INDEX "Token_binding_status_idx" ON "Token"("binding", "status");

-- CreateIndex
CREATE INDEX "Token_cnfX5tS256_idx" ON "Token"("cnfX5tS256");

-- CreateIndex
CREATE INDEX "Token_cnfJkt_idx" ON "Token"("cnfJkt");

-- CreateIndex
CREATE INDEX "Token_expiresAt_idx" ON "Token"("expiresAt");

-- CreateIndex
CREATE INDEX "Token_jti_idx" ON "Token"("jti");

-- CreateIndex
CREATE UNIQUE INDEX "Certificate_x5tS256_key" ON "Certificate"("x5tS256");

-- CreateIndex
CREATE INDEX "Certificate_sha1Hex_idx" ON "Certificate"("sha1Hex");

-- CreateIndex
CREATE INDEX "Certificate_identityId_idx" ON "Certificate"("identityId");

-- CreateIndex
CREATE INDEX "Certificate_issuerDn_serial_idx" ON "Certificate"("issuerDn", "serial");

-- CreateIndex
CREATE UNIQUE INDEX "Source_name_key" ON "Source"("name");

-- CreateIndex
CREATE INDEX "IngestBatch_startedAt_idx" ON "IngestBatch"("startedAt");

-- CreateIndex
CREATE UNIQUE INDEX "BindingEvent_dedupeKey_key" ON "BindingEvent"("dedupeKey");

-- CreateIndex
CREATE INDEX "BindingEvent_occurredAt_idx" ON "BindingEvent"("occurredAt");

-- CreateIndex
CREATE INDEX "BindingEvent_verdict_occurredAt_idx" ON "BindingEvent"("verdict", "occurredAt");

-- CreateIndex
CREATE INDEX "BindingEvent_identityId_occurredAt_idx" ON "BindingEvent"("identityId", "occurredAt");

-- CreateIndex
CREATE INDEX "BindingEvent_tokenId_occurredAt_idx" ON "BindingEvent"("tokenId", "occurredAt");

-- CreateIndex
CREATE INDEX "BindingEvent_requestId_idx" ON "BindingEvent"("requestId");

-- CreateIndex
CREATE UNIQUE INDEX "ExposureFinding_dedupeKey_key" ON "ExposureFinding"("dedupeKey");

-- CreateIndex
CREATE INDEX "ExposureFinding_fingerprint_idx" ON "ExposureFinding"("fingerprint");

-- CreateIndex
CREATE UNIQUE INDEX "Finding_dedupeKey_key" ON "Finding"("dedupeKey");

-- CreateIndex
CREATE INDEX "Finding_rule_status_idx" ON "Finding"("rule", "status");

-- CreateIndex
CREATE INDEX "Finding_status_severity_idx" ON "Finding"("status", "severity");

-- CreateIndex
CREATE INDEX "Finding_identityId_idx" ON "Finding"("identityId");

-- CreateIndex
CREATE INDEX "Finding_tokenId_idx" ON "Finding"("tokenId");

-- CreateIndex
CREATE INDEX "FindingHistory_findingId_at_idx" ON "FindingHistory"("findingId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "Control_frameworkId_controlId_key" ON "Control"("frameworkId", "controlId");

-- CreateIndex
CREATE UNIQUE INDEX "ControlMapping_controlId_subject_key" ON "ControlMapping"("controlId", "subject");

-- CreateIndex
CREATE UNIQUE INDEX "Connector_name_key" ON "Connector"("name");

-- CreateIndex
CREATE INDEX "Revocation_createdAt_idx" ON "Revocation"("createdAt");

-- CreateIndex
CREATE INDEX "RevocationLeg_state_nextAttemptAt_idx" ON "RevocationLeg"("state", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "RevocationLeg_revocationId_idx" ON "RevocationLeg"("revocationId");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEntry_hash_key" ON "AuditEntry"("hash");

-- CreateIndex
CREATE INDEX "AuditEntry_at_idx" ON "AuditEntry"("at");

-- CreateIndex
CREATE INDEX "AuditEntry_action_idx" ON "AuditEntry"("action");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiKey" ADD CONSTRAINT "ApiKey_createdById_fkey" FOREIGN KEY ("createdById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Token" ADD CONSTRAINT "Token_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Token" ADD CONSTRAINT "Token_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Certificate" ADD CONSTRAINT "Certificate_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IngestBatch" ADD CONSTRAINT "IngestBatch_sourceId_fkey" FOREIGN KEY ("sourceId") REFERENCES "Source"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ExposureFinding" ADD CONSTRAINT "ExposureFinding_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "Token"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_identityId_fkey" FOREIGN KEY ("identityId") REFERENCES "Identity"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "Token"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Finding" ADD CONSTRAINT "Finding_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "FindingHistory" ADD CONSTRAINT "FindingHistory_findingId_fkey" FOREIGN KEY ("findingId") REFERENCES "Finding"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Control" ADD CONSTRAINT "Control_frameworkId_fkey" FOREIGN KEY ("frameworkId") REFERENCES "Framework"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ControlMapping" ADD CONSTRAINT "ControlMapping_controlId_fkey" FOREIGN KEY ("controlId") REFERENCES "Control"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RevocationLeg" ADD CONSTRAINT "RevocationLeg_revocationId_fkey" FOREIGN KEY ("revocationId") REFERENCES "Revocation"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RevocationLeg" ADD CONSTRAINT "RevocationLeg_tokenId_fkey" FOREIGN KEY ("tokenId") REFERENCES "Token"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RevocationLeg" ADD CONSTRAINT "RevocationLeg_certificateId_fkey" FOREIGN KEY ("certificateId") REFERENCES "Certificate"("id") ON DELETE SET NULL ON UPDATE CASCADE;
