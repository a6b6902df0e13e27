-- CreateIndex
CREATE INDEX "RevocationLeg_revocationId_state_idx" ON "RevocationLeg"("revocationId", "state");
