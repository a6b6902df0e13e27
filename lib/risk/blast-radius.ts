// Blast radius: how much a thief could do with one credential, as one comparable integer.
//
//   token radius = scopeWeight × audienceWeight × (1 + number of privilege reasons)
//     scopeWeight    = Σ over scopes (3 for a privileged scope, 1 otherwise), at least 1
//     audienceWeight = distinct audiences (declared `aud` ∪ seen in events), at least 1
//   certificate / key / identity radius = Σ radius of the live tokens it covers
//   gateway route radius = distinct bound tokens affected there
//
// Capped at 1,000,000 so it fits the Int column and one outlier does not dwarf the queue.
import type { PrivilegeClass } from './privilege.ts';
import type { TokenFacts } from './snapshot.ts';

export const BLAST_RADIUS_CAP = 1_000_000;

/** Blast radius of one token (formula above). */
export function tokenBlastRadius(token: Pick<TokenFacts, 'scopes' | 'audience'>, priv: PrivilegeClass, audiencesSeen: readonly string[] = []): number {
  let scopeWeight = 0;
  const scopes = token.scopes.length > 1 ? new Set(token.scopes) : token.scopes;
  for (const s of scopes) scopeWeight += priv.privilegedScopes.includes(s) ? 3 : 1;
  const audienceWeight = audiencesSeen.length === 0 && token.audience.length <= 1 ? token.audience.length : new Set([...token.audience, ...audiencesSeen]).size;
  return capRadius(Math.max(1, scopeWeight) * Math.max(1, audienceWeight) * (1 + priv.reasons.length));
}

/** Sum of radii, capped. */
export function sumRadius(radii: Iterable<number>): number {
  let total = 0;
  for (const r of radii) total += r;
  return capRadius(total);
}

export function capRadius(n: number): number {
  return Math.min(BLAST_RADIUS_CAP, Math.max(0, Math.round(n)));
}
