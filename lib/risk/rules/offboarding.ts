// Why: credentials outlive the reason they were issued (OWASP NHI1 Improper Offboarding). A
// decommissioned NHI should hold nothing that works (high; critical when a live bearer token
// is privileged); an NHI whose owner left has nobody to rotate or revoke it (medium).
// One finding per identity: the fix is one offboarding action over all its credentials.
import type { Severity } from '../../domain/types.ts';
import { sumRadius } from '../blast-radius.ts';
import { dedupeKey, isCertLive, isLive, latest, sample, tokenObservedAt, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export const offboarding: Rule = (ctx) => {
  const certsByIdentity = new Map<string, typeof ctx.snapshot.certificates>();
  for (const c of ctx.snapshot.certificates) {
    if (c.identityId === null || !isCertLive(c, ctx.now)) continue;
    const list = certsByIdentity.get(c.identityId) ?? [];
    list.push(c);
    certsByIdentity.set(c.identityId, list);
  }
  return ctx.snapshot.identities.flatMap((i) => {
    const decommissioned = i.status === 'decommissioned';
    const departed = i.ownerStatus === 'departed';
    if (!decommissioned && !departed) return [];
    const tokens = ctx.tokensOfIdentity(i.id).filter((t) => isLive(t, ctx.now));
    const certs = certsByIdentity.get(i.id) ?? [];
    if (tokens.length === 0 && certs.length === 0) return [];
    const why = decommissioned && departed ? 'both' : decommissioned ? 'decommissioned' : 'owner_departed';
    let severity: Severity = 'medium';
    if (decommissioned) {
      severity = tokens.some((t) => t.binding === 'bearer' && ctx.privilege(t).privileged) ? 'critical' : 'high';
    }
    return [
      makeDraft(
        'offboarding',
        { identityName: i.name, why, owner: i.owner, liveTokens: tokens.length, liveCertificates: certs.length },
        {
          dedupeKey: dedupeKey('offboarding', 'identity', i.id),
          severity,
          identityId: i.id,
          tokenId: null,
          certificateId: null,
          evidence: {
            identityId: i.id,
            status: i.status,
            ownerStatus: i.ownerStatus,
            owner: i.owner,
            decommissionedAt: i.decommissionedAt?.toISOString() ?? null,
            liveTokens: tokens.length,
            liveCertificates: certs.length,
            tokenIds: sample(tokens.map((t) => t.id), 50),
            certificateIds: sample(certs.map((c) => c.id), 50),
          },
          blastRadius: sumRadius(tokens.map((t) => ctx.radius(t))),
          // State-based: when no token was seen, the evidence is observed now (or at decommissioning).
          observedAt: latest(i.decommissionedAt ?? ctx.now, ...tokens.map((t) => tokenObservedAt(ctx, t))),
        },
      ),
    ];
  });
};
