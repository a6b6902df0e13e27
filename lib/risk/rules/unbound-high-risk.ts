// Why: a bearer token works for whoever holds it. When it also carries privileged scopes,
// reaches partner / cross-tenant / CI-CD / admin APIs, or belongs to an AI agent, one leak is
// a breach. Two or more of those reasons at once make it critical.
import { dedupeKey, isLive, iso, tokenObservedAt, type Rule } from '../context.ts';
import { recommendBinding } from '../recommend.ts';
import { makeDraft } from './draft.ts';

export const unboundHighRisk: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (t.binding !== 'bearer' || !isLive(t, ctx.now)) return [];
    const priv = ctx.privilege(t);
    if (!priv.privileged) return [];
    const identity = ctx.identity(t.identityId);
    const advice = recommendBinding(identity);
    return [
      makeDraft(
        'unbound_high_risk',
        { identityName: identity?.name ?? t.identityId, reasons: priv.reasons, privilegedScopes: priv.privilegedScopes, method: advice.method, why: advice.why },
        {
          dedupeKey: dedupeKey('unbound_high_risk', 'token', t.id),
          severity: priv.reasons.length >= 2 ? 'critical' : 'high',
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: null,
          evidence: {
            tokenId: t.id,
            fingerprint: t.fingerprint,
            binding: t.binding,
            reasons: priv.reasons,
            privilegedScopes: priv.privilegedScopes,
            matchedAudiences: priv.matchedAudiences.map((m) => ({ audience: m.audience, reason: m.reason })),
            expiresAt: iso(t.expiresAt),
            recommendedBinding: advice.method,
            recommendationReason: advice.reason,
          },
          blastRadius: ctx.radius(t),
          observedAt: tokenObservedAt(ctx, t),
        },
      ),
    ];
  });
