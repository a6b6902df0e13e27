-- Audit entries carry an HMAC under a key derived from HOLDFAST_SECRET_KEY (lib/audit/mac.ts).
-- Rows written before keep NULL: hash-chained only, pinned by the first entry with a MAC after them.
-- AlterTable
ALTER TABLE "AuditEntry" ADD COLUMN     "mac" TEXT;
