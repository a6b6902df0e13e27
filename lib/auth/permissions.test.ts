// The permission table, every caller shape × every permission: the four roles as people
// (sessions) and as plain API keys, and the ingest keys (ingest scope, or bound to a source)
// with every stored role — which may ingest and nothing else (issue #14 item 5).
import { describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../domain/types.ts';
import { can, isIngestOnly, PERMISSIONS, permissionsOf, refusalMessage, type Permission, type PermissionSubject } from './permissions.ts';

const ROLE_TABLE: Record<Role, Permission[]> = {
  analyst: ['read'],
  operator: ['read', 'revoke', 'ingest'],
  auditor: ['read', 'export'],
  admin: ['read', 'revoke', 'export', 'ingest', 'admin'],
};

const SOURCE = '6f1c2a34-0000-4000-8000-000000000001';

const CALLERS: Array<[label: string, subject: PermissionSubject, allowed: Permission[]]> = [
  ...ROLES.map((role): [string, PermissionSubject, Permission[]] => [`${role} (session or plain key)`, { role, scopes: [] }, ROLE_TABLE[role]]),
  ...ROLES.map((role): [string, PermissionSubject, Permission[]] => [`${role} key with the ingest scope`, { role, scopes: ['ingest'] }, ['ingest']]),
  ...ROLES.map((role): [string, PermissionSubject, Permission[]] => [`${role} key bound to a source`, { role, scopes: ['ingest'], sourceId: SOURCE }, ['ingest']]),
  ...ROLES.map((role): [string, PermissionSubject, Permission[]] => [`${role} key bound to a source without the scope`, { role, scopes: [], sourceId: SOURCE }, ['ingest']]),
];

describe('permissions of every kind of caller', () => {
  it.each(CALLERS.flatMap(([label, subject, allowed]) => PERMISSIONS.map((perm) => [label, perm, allowed.includes(perm), subject] as const)))(
    '%s → %s: %s',
    (_label, perm, expected, subject) => expect(can(subject, perm)).toBe(expected),
  );

  it.each(CALLERS)('%s holds exactly its permissions', (_label, subject, allowed) => expect([...permissionsOf(subject)].sort()).toEqual([...allowed].sort()));

  it.each([
    [{ scopes: [] }, false],
    [{ scopes: [], sourceId: null }, false],
    [{ scopes: ['ingest'] }, true],
    [{ scopes: [], sourceId: SOURCE }, true],
  ] as const)('isIngestOnly(%j) is %s', (subject, expected) => expect(isIngestOnly(subject)).toBe(expected));

  it.each([
    [{ role: 'analyst', scopes: [] }, 'admin', 'your role (analyst) does not allow this (admin)'],
    [{ role: 'admin', scopes: ['ingest'] }, 'read', 'this API key may only ingest (it has the ingest scope or belongs to a source); read needs a key without the ingest scope'],
    [{ role: 'analyst', scopes: [], sourceId: SOURCE }, 'revoke', 'this API key may only ingest (it has the ingest scope or belongs to a source); revoke needs a key without the ingest scope'],
  ] as const)('refusalMessage(%j, %s) names why', (subject, perm, expected) => expect(refusalMessage(subject, perm)).toBe(expected));
});
