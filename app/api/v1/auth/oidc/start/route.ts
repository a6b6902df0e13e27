// GET /api/v1/auth/oidc/start?next=/path: begins sign-in at the configured OpenID Provider
// (code flow + PKCE + state + nonce); 404 when OIDC is not configured.
import { OIDC_FLOW_COOKIE, OidcStartQuerySchema, oidcConfig, startOidc } from '@/lib/auth/oidc.ts';
import { HoldfastError } from '@/lib/errors.ts';
import { addressedUrl } from '@/lib/http/request-auth.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

export const GET = apiRoute({ permission: 'public', query: OidcStartQuerySchema }, async ({ req, q }) => {
  const cfg = oidcConfig();
  if (!cfg) throw new HoldfastError('not_found', 'single sign-on is not configured');
  const origin = new URL(addressedUrl(req, req.headers)).origin;
  const r = await startOidc(cfg, getSecretKey(), { redirectUri: `${origin}/api/v1/auth/oidc/callback`, next: q.next });
  const secure = origin.startsWith('https:') ? '; Secure' : '';
  return new Response(null, {
    status: 302,
    headers: {
      location: r.location,
      'cache-control': 'no-store',
      // Lax: the IdP's redirect back is a top-level GET navigation, which Lax cookies accompany.
      'set-cookie': `${OIDC_FLOW_COOKIE}=${r.cookie}; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=${r.maxAgeSeconds}${secure}`,
    },
  });
});
