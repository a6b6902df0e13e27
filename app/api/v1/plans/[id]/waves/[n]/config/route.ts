// /api/v1/plans/{id}/waves/{n}/config: the wave's configuration as a text download - the gateway's
// (?gateway=nginx|haproxy, from lib/enforcement's generators, scoped to the plan's host and path;
// optional mode, upstream, logPath, listen, njsDir and TLS file paths to fill in) or the
// authorization server's (?authorizationServer=oidc-provider|keycloak). Exactly one of the two.
import type { z } from 'zod';
import { HoldfastError } from '@/lib/errors.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { parseWave, planWaveAuthorizationServerConfig, planWaveGatewayConfig, waveConfigQuerySchema } from '@/lib/services/plans/index.ts';

type Params = { id: string; n: string };

export const GET = apiRoute<Params, undefined, unknown, z.infer<typeof waveConfigQuerySchema>>({ permission: 'read', query: waveConfigQuerySchema }, async ({ db, params, q }) => {
  const wave = parseWave(params.n);
  if (!!q.gateway === !!q.authorizationServer) throw new HoldfastError('bad_request', 'name exactly one of gateway (nginx, haproxy) or authorizationServer (oidc-provider, keycloak)', { errors: [{ path: 'gateway', message: 'gateway or authorizationServer, not both or neither' }] });
  const tls = q.certificate || q.certificateKey || q.clientCa || q.crl
    ? { certificate: q.certificate ?? '/etc/ssl/holdfast/server.crt', certificateKey: q.certificateKey ?? '/etc/ssl/holdfast/server.key', clientCa: q.clientCa ?? null, crl: q.crl ?? null }
    : undefined;
  const f = q.gateway
    ? await planWaveGatewayConfig(db, params.id, wave, { gateway: q.gateway, mode: q.mode, upstream: q.upstream, logPath: q.logPath, listen: q.listen, njsDir: q.njsDir, tls })
    : await planWaveAuthorizationServerConfig(db, params.id, wave, q.authorizationServer!);
  return new Response(f.text, {
    headers: { 'content-type': 'text/plain; charset=utf-8', 'content-disposition': `attachment; filename="${f.filename}"`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
  });
});
