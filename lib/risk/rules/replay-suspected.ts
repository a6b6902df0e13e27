// Why: a token presented with another certificate or DPoP key than it is bound to (or, for a
// bearer token, than it was first seen with) is in someone else's hands. A bearer token seen
// from another network origin is a weaker signal (medium). Privileged tokens go one level up.
// Network changes are ignored for bound tokens: without the key, moving networks gains nothing.
// Certificates and keys that belong to the token's own identity (its other certificates after
// a rotation, its mesh replicas' SVIDs, keys of its other tokens) are not someone else's.
import { dedupeKey, isLive, type Rule } from '../context.ts';
import { networkOrigin } from '../network-origin.ts';
import type { ReplaySignal } from '../words.ts';
import { makeDraft, raise } from './draft.ts';

export const replaySuspected: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (!isLive(t, ctx.now)) return [];
    const u = ctx.usage(t.id);
    if (!u) return [];
    const signals: ReplaySignal[] = [];
    const expectedX5t = t.cnfX5tS256 ?? u.first.x5tS256 ?? u.x5tS256Seen[0];
    const expectedJkt = t.cnfJkt ?? u.first.jkt ?? u.jktSeen[0];
    const otherX5t = u.x5tS256Seen.filter((x) => x !== expectedX5t && !ctx.ownsX5t(t.identityId, x));
    const otherJkt = u.jktSeen.filter((j) => j !== expectedJkt && !ctx.ownsJkt(t.identityId, j));
    if (otherX5t.length > 0) signals.push('other_certificate');
    if (otherJkt.length > 0) signals.push('other_dpop_key');
    const { ipv4PrefixBits, ipv6PrefixBits, maxNetworkOrigins } = ctx.policy.replay;
    const origins = [...new Set(u.clientIpsSeen.map((ip) => networkOrigin(ip, ipv4PrefixBits, ipv6PrefixBits)))];
    if (t.binding === 'bearer' && origins.length > maxNetworkOrigins) signals.push('other_network_origin');
    if (signals.length === 0) return [];
    const keySignal = signals.includes('other_certificate') || signals.includes('other_dpop_key');
    const base = keySignal ? 'high' : 'medium';
    const identity = ctx.identity(t.identityId);
    return [
      makeDraft(
        'replay_suspected',
        { identityName: identity?.name ?? t.identityId, signals, bound: t.binding !== 'bearer' },
        {
          dedupeKey: dedupeKey('replay_suspected', 'token', t.id),
          severity: ctx.privilege(t).privileged ? raise(base) : base,
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: t.certificateId,
          evidence: {
            tokenId: t.id,
            fingerprint: t.fingerprint,
            binding: t.binding,
            signals,
            boundX5tS256: t.cnfX5tS256,
            boundJkt: t.cnfJkt,
            firstSeenWith: { x5tS256: u.first.x5tS256, jkt: u.first.jkt, clientIp: u.first.clientIp },
            otherX5tS256: otherX5t,
            otherJkt,
            networkOrigins: origins,
            lastSeenAt: u.lastSeenAt.toISOString(),
          },
          blastRadius: ctx.radius(t),
          observedAt: u.lastSeenAt,
        },
      ),
    ];
  });
