// What Holdfast may say about a token's revocation. A token is revoked when its issuer
// confirmed it (its token leg confirmed; the worker then marks the token revoked). Until then
// the token reads as its leg does, in the revocation's own words: "revocation pending" before
// its issuer was asked, "revocation in progress" while it is being asked (a failed attempt is
// tried again), and "revocation failed" once no peer will be asked again — never "revoked". A confirmed revocation wins (a later failed
// attempt does not un-revoke it); else one still being tried (a later attempt that failed at once
// — a second revocation without the raw token — does not hide one that may yet succeed); else the
// latest failed one.
import { z } from 'zod';
import type { Database } from '../db/open.ts';

/** The state of a token's (or certificate's) revocation leg: the revocation's own words (`holdfast revoke` prints them). */
export const TOKEN_REVOCATION_STATES = ['pending', 'in_progress', 'failed', 'confirmed'] as const;
export type TokenRevocationState = (typeof TOKEN_REVOCATION_STATES)[number];

/** Still being carried out: not yet asked, or asked and to be asked again. */
export function revocationOpen(state: TokenRevocationState | null | undefined): boolean {
  return state === 'pending' || state === 'in_progress';
}

export interface TokenRevocation {
  state: TokenRevocationState;
  revocationId: string;
  legId: string;
  requestedAt: string;
  requestedBy: string;
  reason: string;
  confirmedAt: string | null;
  attempts: number;
  lastError: string | null;
  /** When the leg is tried again (pending or in progress only). */
  nextAttemptAt: string | null;
}

/** The revocation state a leg's state stands for. */
export function tokenRevocationStateOfLeg(legState: string): TokenRevocationState {
  if (legState === 'confirmed') return 'confirmed';
  if (legState === 'failed') return 'failed';
  if (legState === 'in_progress') return 'in_progress';
  return 'pending';
}

/** Words for a token's state as people read it: "revoked" only when the issuer confirmed. */
export function tokenStateLabel(status: string, revocation: Pick<TokenRevocation, 'state'> | null | undefined): string {
  if (status === 'revoked') return 'revoked';
  if (revocation?.state === 'pending') return 'revocation pending';
  if (revocation?.state === 'in_progress') return 'revocation in progress';
  if (revocation?.state === 'failed') return 'revocation failed';
  return status;
}

/** Where the revocation of a token is shown with its legs. */
export const revocationHref = (revocationId: string) => `/revocations/${revocationId}`;

interface Row {
  tokenId: string;
  legId: string;
  legState: string;
  attempts: number;
  lastError: string | null;
  confirmedAt: Date | string | null;
  nextAttemptAt: Date | string | null;
  revocationId: string;
  createdAt: Date | string;
  requestedBy: string;
  reason: string;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

/** The revocation state of each token that has one (tokens never revoked through Holdfast are absent). */
export async function tokenRevocations(db: Database, tokenIds: readonly string[]): Promise<Map<string, TokenRevocation>> {
  const out = new Map<string, TokenRevocation>();
  const ids = [...new Set(tokenIds)];
  if (!ids.length) return out;
  const rows = await db.query<Row>(
    `SELECT DISTINCT ON (l."tokenId") l."tokenId"::text AS "tokenId", l.id::text AS "legId", l.state AS "legState", l.attempts,
            l."lastError", l."confirmedAt", l."nextAttemptAt", r.id::text AS "revocationId", r."createdAt", r."requestedBy", r.reason
       FROM "RevocationLeg" l JOIN "Revocation" r ON r.id = l."revocationId"
      WHERE l.kind = 'token' AND l."tokenId" = ANY($1::uuid[])
      ORDER BY l."tokenId", CASE l.state WHEN 'confirmed' THEN 0 WHEN 'failed' THEN 2 ELSE 1 END, r."createdAt" DESC, l.id`,
    [ids],
  );
  for (const r of rows) {
    const state = tokenRevocationStateOfLeg(r.legState);
    out.set(r.tokenId, {
      state,
      revocationId: r.revocationId,
      legId: r.legId,
      requestedAt: iso(r.createdAt)!,
      requestedBy: r.requestedBy,
      reason: r.reason,
      confirmedAt: iso(r.confirmedAt),
      attempts: Number(r.attempts),
      lastError: r.lastError,
      nextAttemptAt: revocationOpen(state) ? iso(r.nextAttemptAt) : null,
    });
  }
  return out;
}

/** The revocation state of one token, or null when it was never revoked through Holdfast. */
export async function tokenRevocation(db: Database, tokenId: string): Promise<TokenRevocation | null> {
  return (await tokenRevocations(db, [tokenId])).get(tokenId) ?? null;
}

/** The API shape of a token's revocation (GET /api/v1/tokens/{id} `token.revocation`). */
export const TokenRevocationSchema = z.object({
  state: z.enum(TOKEN_REVOCATION_STATES),
  revocationId: z.string(),
  legId: z.string(),
  requestedAt: z.string(),
  requestedBy: z.string(),
  reason: z.string(),
  confirmedAt: z.string().nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});

/** Fields a token list row gains: its readable state and its revocation, when it has one. */
export const TokenRowRevocationFields = {
  state: z.string(),
  revocationState: z.enum(TOKEN_REVOCATION_STATES).nullable(),
  revocationId: z.string().nullable(),
};

/** Adds `state`, `revocationState` and `revocationId` to token rows (one query for the page). */
export async function withRevocationState<T extends { id: string; status: string }>(
  db: Database,
  rows: readonly T[],
): Promise<(T & { state: string; revocationState: TokenRevocationState | null; revocationId: string | null })[]> {
  const revs = await tokenRevocations(db, rows.map((r) => r.id));
  return rows.map((r) => {
    const rev = revs.get(r.id) ?? null;
    return { ...r, state: tokenStateLabel(r.status, rev), revocationState: rev?.state ?? null, revocationId: rev?.revocationId ?? null };
  });
}

/**
 * The latest revocation of a certificate (a confirmed one wins). Holdfast marks a certificate
 * revoked when the revocation is requested (the built-in CRL connector publishes those), so the
 * certificate page uses this to say whether its CA confirmed, is still asked, or failed.
 */
export async function certificateRevocation(db: Database, certificateId: string): Promise<TokenRevocation | null> {
  const [r] = await db.query<Omit<Row, 'tokenId'>>(
    `SELECT l.id::text AS "legId", l.state AS "legState", l.attempts, l."lastError", l."confirmedAt", l."nextAttemptAt",
            r.id::text AS "revocationId", r."createdAt", r."requestedBy", r.reason
       FROM "RevocationLeg" l JOIN "Revocation" r ON r.id = l."revocationId"
      WHERE l.kind = 'certificate' AND l."certificateId" = $1::uuid
      ORDER BY (l.state = 'confirmed') DESC, r."createdAt" DESC, l.id LIMIT 1`,
    [certificateId],
  );
  if (!r) return null;
  const state = tokenRevocationStateOfLeg(r.legState);
  return {
    state,
    revocationId: r.revocationId,
    legId: r.legId,
    requestedAt: iso(r.createdAt)!,
    requestedBy: r.requestedBy,
    reason: r.reason,
    confirmedAt: iso(r.confirmedAt),
    attempts: Number(r.attempts),
    lastError: r.lastError,
    nextAttemptAt: revocationOpen(state) ? iso(r.nextAttemptAt) : null,
  };
}
