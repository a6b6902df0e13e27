// Local accounts: creation, password sign-in with throttling and lockout, role changes.
import { weakPasswordReason } from '../config.ts';
import type { Database } from '../db/open.ts';
import type { Role } from '../domain/types.ts';
import { HoldfastError } from '../errors.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './secrets.ts';

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
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new HoldfastError('validation_failed', 'email: must be an email address');
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

/** Changes a role and voids the user's sessions (privilege change → new session). */
export async function setUserRole(db: Database, userId: string, role: Role, actor: string) {
  return db.prisma.$transaction(async (tx) => {
    const user = await tx.user.update({ where: { id: userId }, data: { role, sessionEpoch: { increment: 1 } } });
    await tx.session.deleteMany({ where: { userId } });
    await appendAuditEntry(tx, { actor, action: 'user.role_change', target: `user:${user.email}`, details: { role } });
    return { id: user.id, email: user.email, role: user.role };
  });
}
