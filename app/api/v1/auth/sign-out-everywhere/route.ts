import { endAllSessions, SESSION_COOKIE } from '@/lib/auth/sessions.ts';
import { HoldfastError } from '@/lib/errors.ts';
import { apiRoute } from '@/lib/http/route.ts';

export const POST = apiRoute({ permission: 'read' }, async ({ db, principal }) => {
  if (principal.kind !== 'user') throw new HoldfastError('bad_request', 'API keys have no sessions');
  await endAllSessions(db, principal.id, principal.label);
  return Response.json({ ok: true }, { headers: { 'set-cookie': `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0` } });
});
