import { z } from 'zod';
import { createSession, SESSION_COOKIE } from '@/lib/auth/sessions.ts';
import { signInWithPassword } from '@/lib/auth/users.ts';
import { loadConfig } from '@/lib/config.ts';
import { apiRoute } from '@/lib/http/route.ts';
import { storableString } from '@/lib/http/storable-string.ts';
import { problem } from '@/lib/http/problem.ts';
import { createSharedRateLimiter, type SharedRateLimiter } from '@/lib/http/shared-rate-limit.ts';
import { auditedBudget } from './audit-refusal.ts';

// Per client address and per account, shared by every instance (counted in the database): slows
// password guessing before the account lockout (5 failures → 15 min) has to act, and keeps one
// attacker from locking everyone out fast.
let perIp: SharedRateLimiter | undefined;
const perAccount = createSharedRateLimiter({ limit: 10, windowMs: 60_000 });

const body = z.object({ email: storableString().max(320), password: storableString().max(1024) });

export const POST = apiRoute({ permission: 'public', body, maxBodyBytes: 8 * 1024 }, async ({ db, body, req, ip }) => {
  const limitPerIp = loadConfig().signInLimitPerIp;
  if (perIp?.limit !== limitPerIp) perIp = createSharedRateLimiter({ limit: limitPerIp, windowMs: 60_000 });
  const email = body.email.trim().toLowerCase();
  const limiter = perIp;
  await auditedBudget(db, () => limiter.hit(db, `sign-in:ip:${ip ?? 'direct'}`), { budget: 'address', key: ip ?? 'direct', email, ip });
  await auditedBudget(db, () => perAccount.hit(db, `sign-in:acct:${email}`), { budget: 'account', key: email, email, ip });
  const r = await signInWithPassword(db, body.email, body.password, { ip });
  if (!r.ok) return problem(401, 'invalid_credentials', 'Sign-in failed', { detail: 'email or password is wrong, or the account is locked' });
  const cfg = loadConfig();
  const s = await createSession(db, r.user.id, { hours: cfg.sessionHours, ip, userAgent: req.headers.get('user-agent') });
  const secure = new URL(req.url).protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https';
  const cookie = [
    `${SESSION_COOKIE}=${s.cookieValue}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Lax',
    `Expires=${s.expiresAt.toUTCString()}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
  return Response.json({ user: r.user, csrfToken: s.csrfSecret }, { headers: { 'set-cookie': cookie, 'cache-control': 'no-store' } });
});
