// Page-side authentication: every dashboard page resolves the session on the server and
// checks the permission it needs before rendering anything.
import { cookies, headers } from 'next/headers';
import { redirect } from 'next/navigation';
import { can, type Permission, type Principal } from '@/lib/auth/permissions.ts';
import { SESSION_COOKIE } from '@/lib/auth/sessions.ts';
import type { Database } from '@/lib/db/open.ts';
import { principalFromRequest } from '@/lib/http/request-auth.ts';
import { getDatabase } from '@/lib/server/database.ts';

export interface PageSession {
  db: Database;
  principal: Principal;
  email: string;
}

export async function getPageSession(): Promise<PageSession | null> {
  const db = await getDatabase();
  const jar = await cookies();
  const value = jar.get(SESSION_COOKIE)?.value;
  if (!value) return null;
  const h = new Headers({ cookie: `${SESSION_COOKIE}=${encodeURIComponent(value)}` });
  const principal = await principalFromRequest(db, h);
  if (!principal || principal.kind !== 'user') return null;
  return { db, principal, email: principal.label.replace(/^user:/, '') };
}

/** Redirects to sign-in without a session; renders the forbidden page without the permission. */
export async function requirePage(permission: Permission): Promise<PageSession> {
  const s = await getPageSession();
  if (!s) {
    const h = await headers();
    const next = h.get('x-holdfast-path') ?? '/';
    redirect(`/sign-in?next=${encodeURIComponent(next)}`);
  }
  if (!can(s.principal, permission)) redirect('/forbidden');
  return s;
}
