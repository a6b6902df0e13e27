import { endSession, SESSION_COOKIE } from '@/lib/auth/sessions.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const POST = apiRoute({ permission: 'read' }, async ({ db, principal }) => {
  if (principal.sessionId) await endSession(db, principal.sessionId, principal.label);
  return Response.json({ ok: true }, { headers: { 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` } });
});
