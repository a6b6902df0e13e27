-- The active tokens by expiry: what the maintenance's expiry sweep (lib/services/estate/expire-tokens.ts)
-- reads, without visiting the tokens already expired or revoked.
CREATE INDEX "Token_active_expiresAt_idx" ON "Token" ("expiresAt") WHERE status = 'active';
