// Who may do what. Four roles; every /api/v1 route and page names the permission it needs
// and the server checks it (lib/http/route.ts, lib/server/page-auth.ts).
import type { Role } from '../domain/types.ts';

export type Permission = 'read' | 'revoke' | 'export' | 'ingest' | 'admin';

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  analyst: ['read'],
  operator: ['read', 'revoke', 'ingest'],
  auditor: ['read', 'export'],
  admin: ['read', 'revoke', 'export', 'ingest', 'admin'],
};

export interface Principal {
  kind: 'user' | 'apikey';
  id: string;
  /** What the audit log shows: `user:alice@example.com` or `apikey:nginx-edge (hf_ab12…)`. */
  label: string;
  role: Role;
  /** Extra grants of an API key (`ingest`). */
  scopes: readonly string[];
  sessionId?: string;
  csrfSecret?: string;
  /** A DPoP-authenticated API key: the server nonce its next proof should carry (sent as DPoP-Nonce). */
  dpopNonce?: string;
}

export function permissionsOf(p: Pick<Principal, 'role' | 'scopes'>): Set<Permission> {
  const set = new Set<Permission>(ROLE_PERMISSIONS[p.role]);
  if (p.scopes.includes('ingest')) set.add('ingest');
  return set;
}

export function can(p: Pick<Principal, 'role' | 'scopes'>, perm: Permission): boolean {
  return permissionsOf(p).has(perm);
}

export function rolePermissions(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}
