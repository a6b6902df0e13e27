// Why: one certificate or DPoP key used by several NHIs (OWASP NHI9 NHI Reuse) means their
// actions cannot be told apart, one leaked key compromises all of them, and revoking it breaks
// all of them. Evidence comes from token bindings (cnf), certificate ownership, and events
// that presented the credential (CredentialUse). Revoked or expired certificates are ignored.
// One finding per (credential, identity), so each identity's page and risk score show it.
import { sumRadius } from '../blast-radius.ts';
import { dedupeKey, isCertLive, isLive, latest, sample, tokenObservedAt, type Rule } from '../context.ts';
import type { FindingDraft, TokenFacts } from '../snapshot.ts';
import { makeDraft } from './draft.ts';

interface Group {
  kind: 'x5t' | 'jkt';
  thumbprint: string;
  identityIds: Set<string>;
  tokens: TokenFacts[];
  events: number;
  lastAt: Date | null;
}

export const credentialShared: Rule = (ctx) => {
  const groups = new Map<string, Group>();
  const group = (kind: 'x5t' | 'jkt', thumbprint: string): Group => {
    const k = `${kind}:${thumbprint}`;
    let g = groups.get(k);
    if (!g) {
      g = { kind, thumbprint, identityIds: new Set(), tokens: [], events: 0, lastAt: null };
      groups.set(k, g);
    }
    return g;
  };
  for (const t of ctx.snapshot.tokens) {
    if (!isLive(t, ctx.now)) continue;
    if (t.cnfX5tS256) {
      const g = group('x5t', t.cnfX5tS256);
      g.identityIds.add(t.identityId);
      g.tokens.push(t);
    }
    if (t.cnfJkt) {
      const g = group('jkt', t.cnfJkt);
      g.identityIds.add(t.identityId);
      g.tokens.push(t);
    }
  }
  for (const c of ctx.snapshot.certificates) {
    if (c.identityId && groups.has(`x5t:${c.x5tS256}`)) group('x5t', c.x5tS256).identityIds.add(c.identityId);
  }
  for (const u of ctx.snapshot.credentialUse) {
    const g = group(u.kind, u.thumbprint);
    for (const id of u.identityIds) g.identityIds.add(id);
    g.events += u.events;
    g.lastAt = latest(u.lastAt, g.lastAt);
  }
  const drafts: FindingDraft[] = [];
  for (const g of groups.values()) {
    if (g.identityIds.size < 2) continue;
    const cert = g.kind === 'x5t' ? ctx.certificateByX5t(g.thumbprint) : undefined;
    if (cert && !isCertLive(cert, ctx.now)) continue;
    const ids = [...g.identityIds].sort();
    const name = (id: string) => ctx.identity(id)?.name ?? id;
    const observedAt = latest(new Date(0), g.lastAt, ...g.tokens.map((t) => tokenObservedAt(ctx, t)));
    const radius = g.tokens.length > 0 ? sumRadius(g.tokens.map((t) => ctx.radius(t))) : ids.length;
    for (const id of ids) {
      drafts.push(
        makeDraft(
          'credential_shared',
          { identityName: name(id), kind: g.kind, otherIdentityNames: ids.filter((o) => o !== id).map(name) },
          {
            dedupeKey: dedupeKey('credential_shared', g.kind, g.thumbprint, id),
            severity: 'high',
            identityId: ctx.identity(id) ? id : null,
            tokenId: null,
            certificateId: cert?.id ?? null,
            evidence: {
              kind: g.kind,
              thumbprint: g.thumbprint,
              certificateId: cert?.id ?? null,
              identityIds: ids,
              boundTokenIds: sample(g.tokens.map((t) => t.id), 50),
              events: g.events,
              lastEventAt: g.lastAt?.toISOString() ?? null,
            },
            blastRadius: radius,
            observedAt,
          },
        ),
      );
    }
  }
  return drafts;
};
