// PUT /api/v1/sources/{name}/trusted-proxies (admin): the proxies (CIDRs, IPv4 or IPv6) the source's
// gateway may believe a forwarded client-certificate header (Client-Cert, X-SSL-Client-Cert…) from.
// A backend line that carries one from any other TCP peer reads spoofed_client_cert. An empty list
// believes any peer again. A bad CIDR is a 400 problem naming it. Creates the source if it is new.
import { z } from 'zod';
import { apiRoute } from '@/lib/http/route.ts';
import { setSourceTrustedProxies } from '@/lib/services/ingest/index.ts';

// A list, or the text an admin typed (comma- or space-separated): lib/hops/trusted-proxies.ts splits it.
const body = z.object({ trustedProxies: z.union([z.string().max(4000), z.array(z.string().max(100)).max(100)]) });

type Params = { name: string };

export const PUT = apiRoute<Params, z.infer<typeof body>>({ permission: 'admin', body, maxBodyBytes: 16 * 1024 }, async ({ db, params, body, principal }) => {
  const { created, ...saved } = await setSourceTrustedProxies(db, { source: params.name, trustedProxies: [body.trustedProxies].flat(), actor: principal.label });
  return Response.json(saved, { status: created ? 201 : 200, headers: { 'cache-control': 'no-store' } });
});
