// Who is calling: a session cookie (browser) or an API key (`Authorization: Bearer hf_…`).
import { resolveApiKey } from '../auth/api-keys.ts';
import type { Principal } from '../auth/permissions.ts';
import { resolveSession, SESSION_COOKIE } from '../auth/sessions.ts';
import type { Database } from '../db/open.ts';

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

export async function principalFromRequest(db: Database, headers: Headers): Promise<Principal | null> {
  const authz = headers.get('authorization');
  if (authz) {
    const m = /^(Bearer|DPoP)\s+(\S+)$/i.exec(authz.trim());
    if (!m) return null;
    const key = await resolveApiKey(db, m[2]);
    if (!key) return null;
    return { kind: 'apikey', id: key.id, label: `apikey:${key.name} (${key.displayStub})`, role: key.role, scopes: key.scopes };
  }
  const cookie = readCookie(headers.get('cookie'), SESSION_COOKIE);
  const s = await resolveSession(db, cookie);
  if (!s) return null;
  return {
    kind: 'user',
    id: s.user.id,
    label: `user:${s.user.email}`,
    role: s.user.role,
    scopes: [],
    sessionId: s.sessionId,
    csrfSecret: s.csrfSecret,
  };
}
