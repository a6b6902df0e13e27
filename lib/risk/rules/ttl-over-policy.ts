// Why: a token's lifetime is how long a leak stays useful (OWASP NHI7 Long-Lived Secrets).
// Limits per class: agent access tokens 1 h, other access tokens 24 h (policy.ttl), and an
// absolute ceiling (90 days) for every token, refresh tokens included — refresh tokens are
// meant to outlive access tokens, so only the ceiling applies to them. No expiry at all is
// over every limit. Over the class limit → medium; over the ceiling or no expiry → high.
import type { Severity } from '../../domain/types.ts';
import { dedupeKey, isLive, iso, tokenObservedAt, type Rule } from '../context.ts';
import type { TokenFacts } from '../snapshot.ts';
import { makeDraft } from './draft.ts';

/** Lifetime in seconds: the stored ttl, else exp − iat; null when the token never expires. */
export function tokenLifetimeSeconds(t: Pick<TokenFacts, 'ttlSeconds' | 'issuedAt' | 'expiresAt' | 'firstSeenAt'>): number | null {
  if (t.ttlSeconds !== null) return t.ttlSeconds;
  if (t.expiresAt === null) return null;
  const from = t.issuedAt ?? t.firstSeenAt;
  return Math.max(0, Math.round((t.expiresAt.getTime() - from.getTime()) / 1000));
}

export const ttlOverPolicy: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (!isLive(t, ctx.now)) return [];
    const identity = ctx.identity(t.identityId);
    const { agentSeconds, serviceSeconds, absoluteSeconds } = ctx.policy.ttl;
    const lifetime = t.expiresAt === null ? null : tokenLifetimeSeconds(t);
    let limitKind: 'agent' | 'service' | 'absolute';
    let limitSeconds: number;
    let severity: Severity;
    if (lifetime === null || lifetime > absoluteSeconds) {
      [limitKind, limitSeconds, severity] = ['absolute', absoluteSeconds, 'high'];
    } else if (t.tokenType === 'access' && identity?.kind === 'agent' && lifetime > agentSeconds) {
      [limitKind, limitSeconds, severity] = ['agent', agentSeconds, 'medium'];
    } else if (t.tokenType === 'access' && identity?.kind !== 'agent' && lifetime > serviceSeconds) {
      [limitKind, limitSeconds, severity] = ['service', serviceSeconds, 'medium'];
    } else {
      return [];
    }
    return [
      makeDraft(
        'ttl_over_policy',
        { identityName: identity?.name ?? t.identityId, lifetimeSeconds: lifetime, limitSeconds, limitKind },
        {
          dedupeKey: dedupeKey('ttl_over_policy', 'token', t.id),
          severity,
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: null,
          evidence: {
            tokenId: t.id,
            fingerprint: t.fingerprint,
            tokenType: t.tokenType,
            lifetimeSeconds: lifetime,
            limitSeconds,
            limitKind,
            issuedAt: iso(t.issuedAt),
            expiresAt: iso(t.expiresAt),
          },
          blastRadius: ctx.radius(t),
          observedAt: tokenObservedAt(ctx, t),
        },
      ),
    ];
  });
