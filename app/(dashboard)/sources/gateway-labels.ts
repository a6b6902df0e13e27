// Gateway names as people write them, for the Sources and Ingest pages (server and client alike).
export const GATEWAY_LABELS: Readonly<Record<string, string>> = { nginx: 'NGINX', apache: 'Apache', haproxy: 'HAProxy' };
