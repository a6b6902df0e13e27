-- A certificate's own bytes (DER) when a gateway line carried it whole: certificates are public,
-- kept once per certificate (lib/services/ingest/batch-writer.ts), shown and exported as PEM.
ALTER TABLE "Certificate" ADD COLUMN "der" BYTEA;
