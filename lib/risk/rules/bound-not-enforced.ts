// Why: a sender-constrained token is only as strong as the gateway that checks it. When the
// binding engine saw a gateway accept a bound token without the matching certificate or DPoP
// proof (verdict `bound_not_enforced`), the token is a bearer token at that gateway.
// Only live tokens: an expired token's history is evidence for the route, not a finding to act on.
import { dedupeKey, isLive, type Rule } from '../context.ts';
import { makeDraft, raise } from './draft.ts';

export const boundNotEnforced: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (t.binding === 'bearer' || !isLive(t, ctx.now)) return [];
    const u = ctx.usage(t.id);
    // Requests, not hop lines: a request seen at the edge and the backend let through once.
    const events = u?.notEnforcedRequests ?? 0;
    if (!u || events === 0) return [];
    const identity = ctx.identity(t.identityId);
    const gateways = u.notEnforcedAt.length > 0 ? u.notEnforcedAt : u.gatewaysSeen;
    return [
      makeDraft(
        'bound_not_enforced',
        { identityName: identity?.name ?? t.identityId, binding: t.binding, gateways, events },
        {
          dedupeKey: dedupeKey('bound_not_enforced', 'token', t.id),
          severity: ctx.privilege(t).privileged ? raise('high') : 'high',
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: t.certificateId,
          evidence: { tokenId: t.id, fingerprint: t.fingerprint, binding: t.binding, gateways, events, lastSeenAt: u.lastSeenAt.toISOString() },
          blastRadius: ctx.radius(t),
          observedAt: u.lastSeenAt,
        },
      ),
    ];
  });
