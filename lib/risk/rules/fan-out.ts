// Why: a token presented to many distinct services is a skeleton key; delegation should be
// scoped to a task and an audience (OWASP Agentic ASI03 Identity and Privilege Abuse). Medium,
// high when the token is privileged. Only live tokens: an expired one opens nothing.
import { dedupeKey, isLive, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export const fanOut: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (!isLive(t, ctx.now)) return [];
    const u = ctx.usage(t.id);
    const limit = ctx.policy.fanOut.maxAudiences;
    if (!u || u.audiencesSeen.length <= limit) return [];
    const identity = ctx.identity(t.identityId);
    return [
      makeDraft(
        'fan_out',
        { identityName: identity?.name ?? t.identityId, audiences: u.audiencesSeen.length, limit },
        {
          dedupeKey: dedupeKey('fan_out', 'token', t.id),
          severity: ctx.privilege(t).privileged ? 'high' : 'medium',
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: null,
          evidence: {
            tokenId: t.id,
            fingerprint: t.fingerprint,
            audiencesSeen: u.audiencesSeen,
            declaredAudience: t.audience,
            limit,
          },
          blastRadius: ctx.radius(t),
          observedAt: u.lastSeenAt,
        },
      ),
    ];
  });
