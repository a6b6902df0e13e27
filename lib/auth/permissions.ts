// Who may do what. Four roles; every /api/v1 route and page names the permission it needs
// and the server checks it (lib/http/route.ts, app/_lib/session.ts).
import type { Role } from '../domain/types.ts';

export type Permission = 'read' | 'revoke' | 'export' | 'ingest' | 'admin';

export const PERMISSIONS: readonly Permission[] = ['read', 'revoke', 'export', 'ingest', 'admin'];

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
  /** An API key bound to a Source (created with it): it ingests as that source only. */
  sourceId?: string | null;
  sessionId?: string;
  csrfSecret?: string;
  /** A DPoP-authenticated API key: the server nonce its next proof should carry (sent as DPoP-Nonce). */
  dpopNonce?: string;
}

/** What the permission decision looks at: the role, an API key's scopes and source binding. */
export type PermissionSubject = Pick<Principal, 'role' | 'scopes'> & Partial<Pick<Principal, 'sourceId'>>;

/**
 * An ingest key may ingest and do nothing else, whatever role it was stored with. An ingest key
 * is one a log shipper holds: a key with the `ingest` scope, or a key bound to a Source. It sits
 * in a gateway's configuration file, on many hosts, often in a config repository, so it is the
 * key most likely to leak; one copied from there must not read tokens, identities, events or
 * findings, nor acknowledge findings. Computed from the stored scopes and source binding at
 * every request, so keys created before this rule (role analyst + ingest scope) are ingest-only
 * without any migration. A script that needs to read gets a key without the ingest scope.
 */
export function isIngestOnly(p: Pick<PermissionSubject, 'scopes' | 'sourceId'>): boolean {
  return p.scopes.includes('ingest') || !!p.sourceId;
}

const INGEST_ONLY: readonly Permission[] = ['ingest'];

export function permissionsOf(p: PermissionSubject): Set<Permission> {
  return new Set<Permission>(isIngestOnly(p) ? INGEST_ONLY : ROLE_PERMISSIONS[p.role]);
}

export function can(p: PermissionSubject, perm: Permission): boolean {
  return permissionsOf(p).has(perm);
}

/**
 * The 403 problem's words. An ingest key is told it is an ingest key: "your role (analyst) does
 * not allow read" would send its owner looking at the wrong setting.
 */
export function refusalMessage(p: PermissionSubject, perm: Permission): string {
  if (isIngestOnly(p)) return `this API key may only ingest (it has the ingest scope or belongs to a source); ${perm} needs a key without the ingest scope`;
  return `your role (${p.role}) does not allow this (${perm})`;
}

export function rolePermissions(role: Role): readonly Permission[] {
  return ROLE_PERMISSIONS[role];
}
