// Why: a new certificate invalidates the tokens bound to the old one (RFC 8705 §6.3), so an
// expiring certificate with live bound tokens is an outage waiting to happen, and an expired
// one that still has live bound tokens means either broken clients or gateways that do not
// check expiry. Certificates without live bound tokens are routine rotation, not a finding.
// Expired → high; expiring within `urgentDays` → high; within the window → medium.
import type { Severity } from '../../domain/types.ts';
import { sumRadius } from '../blast-radius.ts';
import { dedupeKey, isLive, sample, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

const DAY_MS = 86_400_000;

export const certExpiring: Rule = (ctx) =>
  ctx.snapshot.certificates.flatMap((c) => {
    if (c.status === 'revoked' || c.notAfter === null) return [];
    const msLeft = c.notAfter.getTime() - ctx.now.getTime();
    const { expiringWindowDays, urgentDays } = ctx.policy.certificates;
    const expired = msLeft <= 0 || c.status === 'expired';
    if (!expired && msLeft > expiringWindowDays * DAY_MS) return [];
    const bound = ctx.tokensOfCertificate(c).filter((t) => isLive(t, ctx.now));
    if (bound.length === 0) return [];
    const days = expired ? Math.floor(Math.max(0, -msLeft) / DAY_MS) : Math.ceil(msLeft / DAY_MS);
    const severity: Severity = expired || msLeft <= urgentDays * DAY_MS ? 'high' : 'medium';
    const identity = c.identityId ? ctx.identity(c.identityId) : undefined;
    return [
      makeDraft(
        'cert_expiring',
        { identityName: identity?.name ?? null, subjectDn: c.subjectDn, expired, days, boundTokens: bound.length },
        {
          dedupeKey: dedupeKey('cert_expiring', 'certificate', c.id),
          severity,
          identityId: c.identityId,
          tokenId: null,
          certificateId: c.id,
          evidence: {
            certificateId: c.id,
            x5tS256: c.x5tS256,
            subjectDn: c.subjectDn,
            notAfter: c.notAfter.toISOString(),
            expired,
            boundTokenIds: sample(bound.map((t) => t.id), 50),
            boundTokens: bound.length,
          },
          blastRadius: sumRadius(bound.map((t) => ctx.radius(t))),
          observedAt: ctx.now,
        },
      ),
    ];
  });
