// Local accounts: creation, password sign-in with throttling and lockout, role changes and
// disabling (both end the user's sessions at once), never leaving the deployment without an admin.
import { weakPasswordReason } from '../config.ts';
import type { Database } from '../db/open.ts';
import type { Role } from '../domain/types.ts';
import { HoldfastError } from '../errors.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { assertAcceptableName } from './names.ts';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './secrets.ts';
import { voidUserSessions } from './sessions.ts';
import { isUuid } from '../domain/uuid.ts';

export const MAX_FAILED_LOGINS = 5;
export const LOCKOUT_MS = 15 * 60 * 1000;

export interface CreateUserOptions {
  email: string;
  role: Role;
  password: string;
  actor: string;
}

export async function createUser(db: Database, opts: CreateUserOptions) {
  const email = opts.email.trim().toLowerCase();
  assertAcceptableName('email', email);
  if (email.length > 320 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new HoldfastError('validation_failed', 'email: must be an email address');
  const weak = weakPasswordReason(opts.password);
  if (weak) throw new HoldfastError('validation_failed', `password: ${weak}`);
  const passwordHash = await hashPassword(opts.password);
  try {
    return await db.prisma.$transaction(async (tx) => {
      const user = await tx.user.create({ data: { email, role: opts.role, passwordHash }, select: { id: true, email: true, role: true } });
      await appendAuditEntry(tx, { actor: opts.actor, action: 'user.create', target: `user:${email}`, details: { role: opts.role } });
      return user;
    });
  } catch (e) {
    if ((e as { code?: string }).code === 'P2002') throw new HoldfastError('conflict', `a user with email ${email} already exists`);
    throw e;
  }
}

export type SignInResult =
  | { ok: true; user: { id: string; email: string; role: Role } }
  | { ok: false; reason: 'invalid_credentials' | 'locked' };

/**
 * Checks a password. Failures are generic to the caller (no "unknown user" oracle: a missing
 * account costs the same scrypt), counted per account, and lock it for 15 minutes after 5.
 * Every attempt is audited, good or bad.
 */
export async function signInWithPassword(
  db: Database,
  email: string,
  password: string,
  meta: { ip?: string | null },
  nowMs = Date.now(),
): Promise<SignInResult> {
  const normalized = email.trim().toLowerCase();
  const user = await db.prisma.user.findUnique({ where: { email: normalized } });
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  const locked = !!user?.lockedUntil && user.lockedUntil.getTime() > nowMs;
  return db.prisma.$transaction(async (tx) => {
    if (!user || user.disabled || !user.passwordHash) {
      await appendAuditEntry(tx, { actor: `anonymous`, action: 'auth.sign_in_failed', target: `user:${normalized}`, details: { ip: meta.ip ?? null, why: 'unknown_or_disabled' } });
      return { ok: false, reason: 'invalid_credentials' } as const;
    }
    if (locked) {
      await appendAuditEntry(tx, { actor: `anonymous`, action: 'auth.sign_in_failed', target: `user:${normalized}`, details: { ip: meta.ip ?? null, why: 'locked' } });
      return { ok: false, reason: 'locked' } as const;
    }
    if (!ok) {
      const failed = user.failedLogins + 1;
      const lock = failed >= MAX_FAILED_LOGINS;
      await tx.user.update({
        where: { id: user.id },
        data: { failedLogins: lock ? 0 : failed, lockedUntil: lock ? new Date(nowMs + LOCKOUT_MS) : user.lockedUntil },
      });
      await appendAuditEntry(tx, { actor: `anonymous`, action: lock ? 'auth.locked_out' : 'auth.sign_in_failed', target: `user:${normalized}`, details: { ip: meta.ip ?? null, why: 'bad_password' } });
      return { ok: false, reason: 'invalid_credentials' } as const;
    }
    await tx.user.update({ where: { id: user.id }, data: { failedLogins: 0, lockedUntil: null } });
    await appendAuditEntry(tx, { actor: `user:${normalized}`, action: 'auth.sign_in', target: `user:${normalized}`, details: { ip: meta.ip ?? null } });
    return { ok: true, user: { id: user.id, email: user.email, role: user.role } } as const;
  });
}

/** A row of the account list (never the password hash). */
export interface UserView {
  id: string;
  email: string;
  role: Role;
  disabled: boolean;
  lockedUntil: Date | null;
  createdAt: Date;
}

export async function listUsers(db: Database): Promise<UserView[]> {
  return db.prisma.user.findMany({ orderBy: { email: 'asc' }, select: { id: true, email: true, role: true, disabled: true, lockedUntil: true, createdAt: true } });
}

/** The user with this email (normalised as at creation), or not_found. */
export async function findUserByEmail(db: Database, email: string): Promise<UserView> {
  const normalized = email.trim().toLowerCase();
  assertAcceptableName('email', normalized);
  const u = await db.prisma.user.findUnique({ where: { email: normalized }, select: { id: true, email: true, role: true, disabled: true, lockedUntil: true, createdAt: true } });
  if (!u) throw new HoldfastError('not_found', `no user with email ${normalized}`);
  return u;
}

export interface UserChange {
  role?: Role;
  disabled?: boolean;
}


/**
 * Whether a deployment keeps an enabled admin after a change: somebody must always be able to
 * manage accounts and keys (the CLI on the database is not there for a server on PostgreSQL run
 * by another team). `otherAdmins` counts enabled admins besides the changed user.
 */
export function leavesNoAdmin(before: { role: Role; disabled: boolean }, after: { role: Role; disabled: boolean }, otherAdmins: number): boolean {
  const wasAdmin = before.role === 'admin' && !before.disabled;
  const isAdmin = after.role === 'admin' && !after.disabled;
  return wasAdmin && !isAdmin && otherAdmins === 0;
}

/**
 * Changes a user's role and/or disables or enables them, in one transaction with its audit
 * entries. A role change or disabling ends every session of the user at once; enabling does not
 * sign anybody in. Refuses (409) a change that would leave no enabled admin — two admins demoting
 * each other at the same moment are serialised by locking the enabled admins' rows first.
 * Changing nothing changes nothing and is not audited.
 */
export async function updateUser(db: Database, userId: string, change: UserChange, actor: string): Promise<UserView> {
  if (!isUuid(userId)) throw new HoldfastError('not_found', 'no such user');
  if (change.role === undefined && change.disabled === undefined) throw new HoldfastError('validation_failed', 'give a role, disabled, or both');
  return db.prisma.$transaction(async (tx) => {
    const admins = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM "User" WHERE role = 'admin' AND NOT disabled ORDER BY id FOR UPDATE`;
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM "User" WHERE id = ${userId}::uuid FOR UPDATE`;
    if (!locked) throw new HoldfastError('not_found', 'no such user');
    const before = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { email: true, role: true, disabled: true } });
    const after = { role: change.role ?? before.role, disabled: change.disabled ?? before.disabled };
    if (leavesNoAdmin(before, after, admins.filter((a) => a.id !== userId).length)) {
      throw new HoldfastError('conflict', `${before.email} is the last enabled admin: make another user admin first`);
    }
    const roleChanged = after.role !== before.role;
    const disabledChanged = after.disabled !== before.disabled;
    if (roleChanged || disabledChanged) {
      await tx.user.update({ where: { id: userId }, data: { role: after.role, disabled: after.disabled } });
    }
    // A privilege change or a shut-off must not wait for the session to expire.
    if (roleChanged || (disabledChanged && after.disabled)) await voidUserSessions(tx, userId);
    const target = `user:${before.email}`;
    if (roleChanged) await appendAuditEntry(tx, { actor, action: 'user.role_change', target, details: { from: before.role, to: after.role } });
    if (disabledChanged) await appendAuditEntry(tx, { actor, action: after.disabled ? 'user.disable' : 'user.enable', target, details: { role: after.role } });
    return tx.user.findUniqueOrThrow({ where: { id: userId }, select: { id: true, email: true, role: true, disabled: true, lockedUntil: true, createdAt: true } });
  });
}

/** Changes a role and voids the user's sessions (privilege change → new session). */
export async function setUserRole(db: Database, userId: string, role: Role, actor: string) {
  const u = await updateUser(db, userId, { role }, actor);
  return { id: u.id, email: u.email, role: u.role };
}
