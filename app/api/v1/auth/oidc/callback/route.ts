// GET /api/v1/auth/oidc/callback: the OpenID Provider sends the browser back here. A session is
// created exactly as for password sign-in; failures go back to the sign-in page with a generic
// message (the reason is in the audit log, not in the URL).
import { finishOidc, OIDC_FLOW_COOKIE, oidcConfig } from '@/lib/auth/oidc.ts';
import { createSession, SESSION_COOKIE } from '@/lib/auth/sessions.ts';
import { loadConfig } from '@/lib/config.ts';
import { HoldfastError } from '@/lib/errors.ts';
import { addressedUrl, readCookie } from '@/lib/http/request-auth.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { safeNext } from '@/lib/http/safe-next.ts';
import { getSecretKey } from '@/lib/server/secret-key.ts';

export const GET = apiRoute({ permission: 'public' }, async ({ req, db, ip }) => {
  const cfg = oidcConfig();
  if (!cfg) throw new HoldfastError('not_found', 'single sign-on is not configured');
  const url = new URL(addressedUrl(req, req.headers));
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  const clearFlow = `${OIDC_FLOW_COOKIE}=; Path=/api/v1/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0${secure}`;
  const r = await finishOidc(db, cfg, getSecretKey(), { callbackUrl: url, flowCookie: readCookie(req.headers.get('cookie'), OIDC_FLOW_COOKIE), ip });
  const headers = new Headers({ 'cache-control': 'no-store' });
  headers.append('set-cookie', clearFlow);
  if (!r.ok) {
    headers.set('location', '/sign-in?error=sso');
    return new Response(null, { status: 303, headers });
  }
  const s = await createSession(db, r.user.id, { hours: loadConfig().sessionHours, ip, userAgent: req.headers.get('user-agent') });
  headers.append('set-cookie', [`${SESSION_COOKIE}=${s.cookieValue}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Expires=${s.expiresAt.toUTCString()}`].join('; ') + secure);
  // Checked when the flow started (sealed since); checked again so no path skips the one check.
  headers.set('location', safeNext(r.next));
  return new Response(null, { status: 303, headers });
});
