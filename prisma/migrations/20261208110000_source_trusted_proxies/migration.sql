-- The proxies (CIDRs) a source's gateway may believe a forwarded client-certificate header from: a
-- backend line carrying one from any other peer is spoofed_client_cert. Empty: believed from any peer.
ALTER TABLE "Source" ADD COLUMN "trustedProxies" TEXT[] NOT NULL DEFAULT ARRAY[]::TEXT[];
