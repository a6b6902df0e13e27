// Server-side sessions. The cookie carries a random 256-bit value; the database keeps its
// SHA-256 only. Sessions expire (absolute lifetime), are voided by a bump of the user's
// session epoch (role change, disabling, sign out everywhere), and carry a CSRF secret for the
// double-submit check on state-changing requests.
import type { Prisma } from '../db/generated/client.ts';
import type { Database } from '../db/open.ts';
import type { Role } from '../domain/types.ts';
import { appendAuditEntry } from '../audit/append-audit-entry.ts';
import { randomSecret, sha256b64u } from './secrets.ts';

export const SESSION_COOKIE = 'hf_session';

export interface SessionInfo {
  sessionId: string;
  csrfSecret: string;
  user: { id: string; email: string; role: Role };
  expiresAt: Date;
}

export async function createSession(
  db: Database,
  userId: string,
  opts: { hours: number; ip?: string | null; userAgent?: string | null },
  nowMs = Date.now(),
): Promise<{ cookieValue: string; expiresAt: Date; csrfSecret: string }> {
  const cookieValue = randomSecret(32);
  const csrfSecret = randomSecret(24);
  const user = await db.prisma.user.findUniqueOrThrow({ where: { id: userId }, select: { sessionEpoch: true } });
  const expiresAt = new Date(nowMs + opts.hours * 3600_000);
  await db.prisma.session.create({
    data: {
      id: sha256b64u(cookieValue),
      userId,
      epoch: user.sessionEpoch,
      csrfSecret,
      expiresAt,
      ip: opts.ip ?? null,
      userAgent: opts.userAgent?.slice(0, 300) ?? null,
    },
  });
  return { cookieValue, expiresAt, csrfSecret };
}

export async function resolveSession(db: Database, cookieValue: string | undefined | null, nowMs = Date.now()): Promise<SessionInfo | null> {
  if (!cookieValue || cookieValue.length > 200) return null;
  const id = sha256b64u(cookieValue);
  // Raw SQL, not Prisma: Prisma's engine loses the request's async context, and this read runs on
  // every page, which on the embedded database must answer during an ingest batch (lib/db/read-gate.ts).
  const [row] = await db.query<{ expiresAt: Date | string; lastSeenAt: Date | string; epoch: number; csrfSecret: string; userId: string; email: string; role: Role; disabled: boolean; sessionEpoch: number }>(
    `SELECT s."expiresAt", s."lastSeenAt", s.epoch, s."csrfSecret", u.id::text AS "userId", u.email, u.role::text AS role, u.disabled, u."sessionEpoch"
       FROM "Session" s JOIN "User" u ON u.id = s."userId" WHERE s.id = $1`,
    [id],
  );
  if (!row) return null;
  const s = { expiresAt: new Date(row.expiresAt), lastSeenAt: new Date(row.lastSeenAt), epoch: row.epoch, csrfSecret: row.csrfSecret, user: { id: row.userId, email: row.email, role: row.role, disabled: row.disabled, sessionEpoch: row.sessionEpoch } };
  if (s.expiresAt.getTime() <= nowMs || s.user.disabled || s.epoch !== s.user.sessionEpoch) {
    await db.prisma.session.delete({ where: { id } }).catch(() => {});
    return null;
  }
  // Touch at most once a minute: a busy dashboard must not write on every request. Not awaited: a
  // read must not wait for this write (on the embedded database it waits for a running batch).
  if (nowMs - s.lastSeenAt.getTime() > 60_000) {
    void db.prisma.session.update({ where: { id }, data: { lastSeenAt: new Date(nowMs) } }).catch(() => {});
  }
  return { sessionId: id, csrfSecret: s.csrfSecret, user: { id: s.user.id, email: s.user.email, role: s.user.role }, expiresAt: s.expiresAt };
}

export async function endSession(db: Database, sessionId: string, actor: string) {
  await db.prisma.$transaction(async (tx) => {
    await tx.session.deleteMany({ where: { id: sessionId } });
    await appendAuditEntry(tx, { actor, action: 'auth.sign_out', target: actor });
  });
}

/**
 * Voids every session of a user inside the caller's transaction: the epoch bump refuses any
 * session row another instance is reading right now (resolveSession compares epochs on every
 * request, no cache), and the rows go so nothing is left to resolve.
 */
export async function voidUserSessions(tx: Prisma.TransactionClient, userId: string): Promise<{ email: string }> {
  const u = await tx.user.update({ where: { id: userId }, data: { sessionEpoch: { increment: 1 } }, select: { email: true } });
  await tx.session.deleteMany({ where: { userId } });
  return u;
}

export async function endAllSessions(db: Database, userId: string, actor: string) {
  await db.prisma.$transaction(async (tx) => {
    const u = await voidUserSessions(tx, userId);
    await appendAuditEntry(tx, { actor, action: 'auth.sign_out_everywhere', target: `user:${u.email}` });
  });
}
