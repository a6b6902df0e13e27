// The part of an estate snapshot that decides the token rules (TOKEN_RULES) for some tokens: the
// tokens, their identities, usage and exposures, the certificates their identities own or the
// tokens name, and — instead of the identities' other tokens — only the credentials those hold.
// After a batch, findings are re-evaluated over the tokens it touched: at a million tokens the
// whole estate takes minutes, the tokens of one batch take a fraction of a second. The database
// builds the same snapshot with SQL (lib/services/findings/snapshot.ts); this function is its
// definition, and the tests compare the two.
import type { EstateSnapshot, HeldCredential } from './snapshot.ts';

/** Held credentials in one order (identity, kind, thumbprint), without repeats. */
export function sortHeldCredentials(list: Iterable<HeldCredential>): HeldCredential[] {
  const byKey = new Map<string, HeldCredential>();
  for (const h of list) byKey.set(`${h.identityId}\u0000${h.kind}\u0000${h.thumbprint}`, h);
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, h]) => h);
}

export function scopeSnapshotToTokens(snapshot: EstateSnapshot, tokenIds: Iterable<string>): EstateSnapshot {
  const wanted = new Set(tokenIds);
  const tokens = snapshot.tokens.filter((t) => wanted.has(t.id));
  const identityIds = new Set(tokens.map((t) => t.identityId));
  const certIds = new Set(tokens.flatMap((t) => (t.certificateId ? [t.certificateId] : [])));
  const x5ts = new Set(tokens.flatMap((t) => (t.cnfX5tS256 ? [t.cnfX5tS256] : [])));
  const held: HeldCredential[] = [];
  for (const t of snapshot.tokens) {
    if (wanted.has(t.id) || !identityIds.has(t.identityId)) continue;
    if (t.cnfX5tS256) held.push({ identityId: t.identityId, kind: 'x5t', thumbprint: t.cnfX5tS256 });
    if (t.cnfJkt) held.push({ identityId: t.identityId, kind: 'jkt', thumbprint: t.cnfJkt });
  }
  return {
    identities: snapshot.identities.filter((i) => identityIds.has(i.id)),
    tokens,
    certificates: snapshot.certificates.filter((c) => (c.identityId !== null && identityIds.has(c.identityId)) || certIds.has(c.id) || x5ts.has(c.x5tS256)),
    exposures: snapshot.exposures.filter((e) => wanted.has(e.tokenId)),
    tokenUsage: snapshot.tokenUsage.filter((u) => wanted.has(u.tokenId)),
    routes: [],
    failureSeries: [],
    credentialUse: [],
    hopLeaks: [],
    untrustedPeerBackends: [],
    heldCredentials: sortHeldCredentials(held),
  };
}
