// One read-only view of the snapshot shared by every rule: indexes built once (O(n)), and
// per-token privilege and blast radius computed once, so a full evaluation stays linear.
import type { FindingRule } from '../domain/types.ts';
import { tokenBlastRadius } from './blast-radius.ts';
import type { Policy } from './policy.ts';
import { createPrivilegeClassifier, type PrivilegeClass } from './privilege.ts';
import type {
  CertificateFacts,
  EstateSnapshot,
  ExposureFacts,
  FindingDraft,
  IdentityFacts,
  TokenFacts,
  TokenUsage,
} from './snapshot.ts';

export interface RuleContext {
  snapshot: EstateSnapshot;
  policy: Policy;
  now: Date;
  identity(id: string): IdentityFacts | undefined;
  usage(tokenId: string): TokenUsage | undefined;
  exposures(tokenId: string): ExposureFacts[];
  tokensOfIdentity(identityId: string): TokenFacts[];
  /** Tokens bound to the certificate by Token.certificateId or by cnf x5t#S256. */
  tokensOfCertificate(cert: CertificateFacts): TokenFacts[];
  certificateByX5t(x5t: string): CertificateFacts | undefined;
  /** The identity holds this certificate (Certificate.identityId) or has a token bound to it. */
  ownsX5t(identityId: string, x5t: string): boolean;
  /** The identity has a token bound to this DPoP key. */
  ownsJkt(identityId: string, jkt: string): boolean;
  privilege(token: TokenFacts): PrivilegeClass;
  radius(token: TokenFacts): number;
}

/** A rule: one named pure function from the estate to finding drafts. */
export type Rule = (ctx: RuleContext) => FindingDraft[];

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** Builds the indexes the rules share. */
export function buildContext(snapshot: EstateSnapshot, policy: Policy, now: Date): RuleContext {
  const identities = new Map(snapshot.identities.map((i) => [i.id, i]));
  const usage = new Map(snapshot.tokenUsage.map((u) => [u.tokenId, u]));
  const exposures = new Map<string, ExposureFacts[]>();
  for (const e of snapshot.exposures) push(exposures, e.tokenId, e);
  const byIdentity = new Map<string, TokenFacts[]>();
  const byCertId = new Map<string, TokenFacts[]>();
  const byX5t = new Map<string, TokenFacts[]>();
  for (const t of snapshot.tokens) {
    push(byIdentity, t.identityId, t);
    if (t.certificateId) push(byCertId, t.certificateId, t);
    if (t.cnfX5tS256) push(byX5t, t.cnfX5tS256, t);
  }
  const certsByX5t = new Map(snapshot.certificates.map((c) => [c.x5tS256, c]));
  const owned = new Set<string>();
  for (const c of snapshot.certificates) if (c.identityId) owned.add(`x5t:${c.identityId}:${c.x5tS256}`);
  for (const t of snapshot.tokens) {
    if (t.cnfX5tS256) owned.add(`x5t:${t.identityId}:${t.cnfX5tS256}`);
    if (t.cnfJkt) owned.add(`jkt:${t.identityId}:${t.cnfJkt}`);
  }
  for (const h of snapshot.heldCredentials ?? []) owned.add(`${h.kind}:${h.identityId}:${h.thumbprint}`);
  const classify = createPrivilegeClassifier(policy);
  const privCache = new Map<string, PrivilegeClass>();
  const radiusCache = new Map<string, number>();
  const ctx: RuleContext = {
    snapshot,
    policy,
    now,
    identity: (id) => identities.get(id),
    usage: (id) => usage.get(id),
    exposures: (id) => exposures.get(id) ?? [],
    tokensOfIdentity: (id) => byIdentity.get(id) ?? [],
    tokensOfCertificate: (cert) => {
      const seen = new Map<string, TokenFacts>();
      for (const t of byCertId.get(cert.id) ?? []) seen.set(t.id, t);
      for (const t of byX5t.get(cert.x5tS256) ?? []) seen.set(t.id, t);
      return [...seen.values()];
    },
    certificateByX5t: (x5t) => certsByX5t.get(x5t),
    ownsX5t: (identityId, x5t) => owned.has(`x5t:${identityId}:${x5t}`),
    ownsJkt: (identityId, jkt) => owned.has(`jkt:${identityId}:${jkt}`),
    privilege: (t) => {
      let p = privCache.get(t.id);
      if (!p) {
        p = classify(t, identities.get(t.identityId), usage.get(t.id)?.audiencesSeen ?? []);
        privCache.set(t.id, p);
      }
      return p;
    },
    radius: (t) => {
      let r = radiusCache.get(t.id);
      if (r === undefined) {
        r = tokenBlastRadius(t, ctx.privilege(t), usage.get(t.id)?.audiencesSeen ?? []);
        radiusCache.set(t.id, r);
      }
      return r;
    },
  };
  return ctx;
}

/** A token a thief could still use: status active and not past its `exp`. */
export function isLive(token: Pick<TokenFacts, 'status' | 'expiresAt'>, now: Date): boolean {
  return token.status === 'active' && (token.expiresAt === null || token.expiresAt.getTime() > now.getTime());
}

/** A certificate that still authenticates: not revoked and not past notAfter. */
export function isCertLive(cert: Pick<CertificateFacts, 'status' | 'notAfter'>, now: Date): boolean {
  return cert.status === 'active' && (cert.notAfter === null || cert.notAfter.getTime() > now.getTime());
}

/** Stable dedupe key: rule, subject kind and subject id(s). */
export function dedupeKey(rule: FindingRule, subjectKind: string, ...ids: string[]): string {
  return [rule, subjectKind, ...ids].join(':');
}

export function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

/** Latest of the dates given (ignores null), or `fallback`. */
export function latest(fallback: Date, ...dates: (Date | null | undefined)[]): Date {
  let best: Date | null = null;
  for (const d of dates) if (d && (!best || d.getTime() > best.getTime())) best = d;
  return best ?? fallback;
}

/** When a token was last observed: events, then the row, then first sight. */
export function tokenObservedAt(ctx: RuleContext, t: TokenFacts): Date {
  return latest(t.firstSeenAt, ctx.usage(t.id)?.lastSeenAt, t.lastSeenAt);
}

/** Up to `n` items, for evidence lists that must stay small. */
export function sample<T>(xs: readonly T[], n = 20): T[] {
  return xs.slice(0, n);
}
