// Why: a secret scanner found the token (in a repository, a log, a ticket) and it still works
// (OWASP NHI2 Secret Leakage). A leaked bearer token is usable by anyone who read it: critical.
// A leaked bound token also needs the private key: high, because leaks rarely come alone.
import { dedupeKey, isLive, iso, latest, tokenObservedAt, type Rule } from '../context.ts';
import { makeDraft } from './draft.ts';

export const exposedActive: Rule = (ctx) =>
  ctx.snapshot.tokens.flatMap((t) => {
    if (t.exposure !== 'exposed' || !isLive(t, ctx.now)) return [];
    const hits = ctx.exposures(t.id);
    const identity = ctx.identity(t.identityId);
    const bound = t.binding !== 'bearer';
    return [
      makeDraft(
        'exposed_active',
        {
          identityName: identity?.name ?? t.identityId,
          bound,
          scanners: [...new Set(hits.map((h) => h.scanner))].sort(),
          locations: [...new Set(hits.flatMap((h) => (h.location ? [h.location] : [])))].sort(),
        },
        {
          dedupeKey: dedupeKey('exposed_active', 'token', t.id),
          severity: bound ? 'high' : 'critical',
          identityId: t.identityId,
          tokenId: t.id,
          certificateId: t.certificateId,
          evidence: {
            tokenId: t.id,
            fingerprint: t.fingerprint,
            binding: t.binding,
            expiresAt: iso(t.expiresAt),
            exposures: hits.slice(0, 20).map((h) => ({ scanner: h.scanner, location: h.location, commit: h.commit, foundAt: h.foundAt.toISOString() })),
          },
          blastRadius: ctx.radius(t),
          observedAt: latest(tokenObservedAt(ctx, t), ...hits.map((h) => h.foundAt)),
        },
      ),
    ];
  });
