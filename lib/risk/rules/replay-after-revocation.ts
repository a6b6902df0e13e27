// Why: after revocation the owner has no reason to present the token again; whoever does is
// not the owner, or is retrying a stolen copy. Accepted requests also mean a gateway is not
// honouring the revocation. Always critical.
import { dedupeKey, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export const replayAfterRevocation: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (t.revokedAt === null) return [];
    const u = ctx.usage(t.id);
    if (!u || u.eventsAfterRevocation === 0) return [];
    const identity = ctx.identity(t.identityId);
    return [
      makeDraft(
        'replay_after_revocation',
        {
          identityName: identity?.name ?? t.identityId,
          events: u.eventsAfterRevocation,
          accepted: u.acceptedAfterRevocation,
          revokedAt: t.revokedAt.toISOString(),
        },
        {
          dedupeKey: dedupeKey('replay_after_revocation', 'token', t.id),
          severity: 'critical',
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: t.certificateId,
          evidence: {
            tokenId: t.id,
            fingerprint: t.fingerprint,
            revokedAt: t.revokedAt.toISOString(),
            eventsAfterRevocation: u.eventsAfterRevocation,
            acceptedAfterRevocation: u.acceptedAfterRevocation,
            firstSeenAfterRevocationAt: u.firstSeenAfterRevocationAt?.toISOString() ?? null,
            lastSeenAt: u.lastSeenAt.toISOString(),
            gateways: u.gatewaysSeen,
            clientIps: u.clientIpsSeen.slice(0, 20),
          },
          blastRadius: ctx.radius(t),
          observedAt: u.lastSeenAt,
        },
      ),
    ];
  });
