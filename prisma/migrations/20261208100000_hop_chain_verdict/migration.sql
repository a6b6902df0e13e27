-- The requests list's verdict filter (GET /api/v1/events?verdict=, holdfast events --verdict) also
-- finds a request by the verdict of its whole path, the one findings and pages show (a backend line
-- that reads ok on a path whose edge passed a forged certificate header is spoofed_client_cert).
-- Those requests are found through this index: evidence."Hop" rows of decided chains by chain
-- verdict and time (rows of single hops and segment rows have none and are left out of it).
CREATE INDEX "Hop_chainVerdict_occurredAt_idx" ON "evidence"."Hop" ("chainVerdict", "occurredAt") WHERE "chainVerdict" IS NOT NULL;
