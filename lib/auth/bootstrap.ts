// First run: create the admin from HOLDFAST_ADMIN_EMAIL / HOLDFAST_ADMIN_PASSWORD, or issue a
// one-time setup link (valid 24 h) that lets the first person choose the admin account.
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { randomSecret, sha256b64u } from './secrets.ts';
import { createUser } from './users.ts';

export type BootstrapResult =
  | { kind: 'existing' }
  | { kind: 'admin_created'; email: string }
  | { kind: 'setup_link'; token: string };

export async function bootstrapAdmin(
  db: Database,
  opts: { adminEmail?: string; adminPassword?: string },
  nowMs = Date.now(),
): Promise<BootstrapResult> {
  const users = await db.prisma.user.count();
  if (users > 0) return { kind: 'existing' };
  if (opts.adminEmail && opts.adminPassword) {
    await createUser(db, { email: opts.adminEmail, password: opts.adminPassword, role: 'admin', actor: 'system:bootstrap' });
    return { kind: 'admin_created', email: opts.adminEmail };
  }
  const token = randomSecret(24);
  await db.prisma.$transaction(async (tx) => {
    await tx.setupToken.create({ data: { id: sha256b64u(token), expiresAt: new Date(nowMs + 24 * 3600_000) } });
    await appendAuditEntry(tx, { actor: 'system:bootstrap', action: 'setup.link_issued' });
  });
  return { kind: 'setup_link', token };
}

/** Redeems a setup link once: creates the first admin. */
export async function completeSetup(db: Database, token: string, email: string, password: string, nowMs = Date.now()) {
  const id = sha256b64u(token);
  const row = await db.prisma.setupToken.findUnique({ where: { id } });
  if (!row || row.usedAt || row.expiresAt.getTime() <= nowMs) throw new HoldfastError('forbidden', 'this setup link is invalid, used or expired');
  if ((await db.prisma.user.count()) > 0) throw new HoldfastError('conflict', 'setup is already complete');
  const user = await createUser(db, { email, password, role: 'admin', actor: 'system:setup' });
  await db.prisma.setupToken.update({ where: { id }, data: { usedAt: new Date(nowMs) } });
  return user;
}
