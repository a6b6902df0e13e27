-- Hops of one request (issue #16 item 5, docs/EVIDENCE.md "Hops"): when an edge and a backend both
-- log a request with the id the edge propagates (X-Request-ID by default), their lines are joined
-- and the whole path gets one chain verdict (lib/hops). Plain statements only: the migration runner
-- splits scripts on every semicolon, comments included, so no comment here contains one.

-- One narrow row per request that carried a correlation id, next to its ledger row and kept as long
-- (daily partitions, HOLDFAST_REQUEST_WINDOW_DAYS). "day" is the ledger day of the request.
-- "corr" is the correlation id as a 17-byte key (lib/ingest/evidence/request-key.ts: hex and UUID ids
-- are stored as themselves, others as SHA-256, then "corrText" keeps the id). What the hop saw of the
-- client's TLS ("tls": NULL no facts, 0 no verify result, 1 NONE, 2 SUCCESS, 3 failed) and certificate
-- ("cert" x5t#S256 and "certSha1" as Dim numbers, "certNames": serial and common names as JSON), what a
-- proxy forwarded to it ("fwd": NULL the log has no such field, 0 empty, 1 a header, with the same
-- facts), its own verdict (the forwarded certificate standing in for a TLS one), and the chain's
-- decision once its hops met ("chainVerdict", "chainReason", this hop's position, the leaking one's).
-- No unique key of its own: a row is written only for a request the ledger accepted as new, in the same
-- transaction. Distribution column for a sharded PostgreSQL (Citus): "corr", so the hops of one request
-- live together.
CREATE TABLE "evidence"."Hop" (
    "occurredAt" TIMESTAMPTZ(3) NOT NULL,
    "day" INTEGER NOT NULL,
    "corr" BYTEA NOT NULL,
    "ns" INTEGER NOT NULL,
    "key" BYTEA NOT NULL,
    "route" INTEGER,
    "httpStatus" SMALLINT,
    "verdict" SMALLINT NOT NULL,
    "tls" SMALLINT,
    "cert" INTEGER,
    "certSha1" INTEGER,
    "fwd" SMALLINT,
    "fwdCert" INTEGER,
    "fwdSha1" INTEGER,
    "chainVerdict" SMALLINT,
    "chainReason" SMALLINT,
    "chainPos" SMALLINT,
    "chainLeak" SMALLINT,
    "certNames" TEXT,
    "fwdNames" TEXT,
    "corrText" TEXT
) PARTITION BY RANGE ("day");
CREATE INDEX "Hop_corr_occurredAt_idx" ON "evidence"."Hop" ("corr", "occurredAt");
CREATE INDEX "Hop_ns_key_idx" ON "evidence"."Hop" ("ns", "key");

-- Decided chains kept long: requests per route (the edge's host and path prefix) x edge source x
-- backend source x leaking hop (its source and position, 0 the edge) x chain verdict and reason x the backend's own verdict and answer x
-- hour, with first and last time and one correlation id as the example. A chain decided again when a
-- further hop arrives moves its count (a row of -1 in the old key), so readers sum and keep positive
-- sums. "aggKey" is 16 bytes of SHA-256 over every dimension but the hour, "stripe" the writing
-- connection's slot, as in "Usage". Monthly partitions, the usage retention.
CREATE TABLE "evidence"."HopUsage" (
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "firstAt" TIMESTAMPTZ(3) NOT NULL,
    "lastAt" TIMESTAMPTZ(3) NOT NULL,
    "count" BIGINT NOT NULL,
    "route" INTEGER,
    "edgeNs" INTEGER NOT NULL,
    "backendNs" INTEGER NOT NULL,
    "hops" SMALLINT NOT NULL,
    "leakNs" INTEGER,
    "leakPos" SMALLINT,
    "observedNs" INTEGER,
    "edgeTls" SMALLINT,
    "chainVerdict" SMALLINT NOT NULL,
    "chainReason" SMALLINT NOT NULL,
    "backendVerdict" SMALLINT,
    "backendStatus" SMALLINT,
    "stripe" SMALLINT NOT NULL,
    "aggKey" BYTEA NOT NULL,
    "exemplar" TEXT,
    CONSTRAINT "HopUsage_pkey" PRIMARY KEY ("hour", "edgeNs", "aggKey", "stripe")
) PARTITION BY RANGE ("hour");
CREATE INDEX "HopUsage_route_hour_idx" ON "evidence"."HopUsage" ("route", "hour");
