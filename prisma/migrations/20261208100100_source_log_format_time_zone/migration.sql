-- The zone of a source's zone-less log times (HAProxy %tr, Apache strftime without %z), saved with
-- its gateway configuration: the default of the ingests read with it (lib/services/ingest/log-formats.ts).
-- AlterTable
ALTER TABLE "SourceLogFormat" ADD COLUMN     "timeZone" TEXT;
