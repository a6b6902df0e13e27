-- The TCP peer a notable request came from, where the gateway logged it apart from the client
-- address (NGINX $realip_remote_addr, Apache %{c}a, Caddy remote_ip): a forged client-certificate
-- header sent straight to a backend is told by its peer (forwarded_cert_untrusted_peer), and the
-- forwarded_cert_from_untrusted_peer finding names those peers. Null where no peer was logged.
ALTER TABLE "evidence"."Notable" ADD COLUMN "peerIp" TEXT;
