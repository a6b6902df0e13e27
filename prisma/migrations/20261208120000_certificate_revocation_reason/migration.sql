-- Why a certificate is revoked when Holdfast did not revoke it: `crl:<reason>` when a trusted CA's
-- CRL lists it (lib/services/trust/mark-revoked-certificates.ts). Rows before this column keep
-- null: a revocation Holdfast made, or one a gateway refused with.
ALTER TABLE "Certificate" ADD COLUMN "revocationReason" TEXT;
