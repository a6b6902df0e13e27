-- AlterTable
ALTER TABLE "EvidenceHold" ADD COLUMN     "since" TIMESTAMPTZ(3);
