-- AlterTable
ALTER TABLE "IngestBatch" ADD COLUMN     "keptFrom" TIMESTAMPTZ(3),
ADD COLUMN     "notableKeptFrom" TIMESTAMPTZ(3);
