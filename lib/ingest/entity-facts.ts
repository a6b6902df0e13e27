// What an ingested record says about the entities behind it — identity names, token claims,
// token status, an exposure's dedupe key — derived without the database. The batch writer
// (lib/services/ingest/batch-writer.ts) resolves these against stored rows.
import { createHash } from 'node:crypto';
import { dnCommonName } from '../credentials/distinguished-name.ts';
import type { ExposureRecord, NormalizedEvent, TokenRecord } from '../domain/types.ts';

/** Identity name from a hint: a certificate DN becomes its CN (`O=Test,CN=svc-a` → `svc-a`). */
export function identityNameOf(hint: string | null): string | null {
  if (!hint) return null;
  const h = hint.trim().slice(0, 300);
  if (!h) return null;
  // A certificate subject: its CN decoded, so every gateway's spelling of it names one identity.
  if (/^\/?[A-Za-z][\w.-]*=/.test(h) && /(^|,|\/|\+)\s*CN=/i.test(h)) return dnCommonName(h) ?? h;
  return h;
}

/**
 * The name identityNameOf gave a DN hint before DNs had one canonical spelling: the CN with `\X`
 * turned into `X` (so RFC 2253's `Zo\C3\AB` became `ZoC3AB`), a oneline DN whole. Identities stored
 * under such a name are still matched by it (the batch writer), so their tokens and history stay
 * theirs; null when it is the same as today's name.
 */
export function legacyIdentityNameOf(hint: string | null): string | null {
  const h = hint?.trim().slice(0, 300);
  if (!h) return null;
  let legacy = h;
  if (/^[A-Za-z]+=/.test(h) && /(^|,|\/)\s*CN=/i.test(h)) {
    const m = /(?:^|,|\/)\s*CN=((?:\\.|[^,/])+)/i.exec(h);
    if (m?.[1]) legacy = m[1].replace(/\\(.)/g, '$1').trim() || h;
  }
  return legacy === identityNameOf(h) ? null : legacy;
}

/** An identity first seen in a record. */
export interface NewIdentity {
  name: string;
  kind: string;
  clientId: string | null;
  spiffeId: string | null;
  lastSeenAt: Date | null;
}

/** The identity a name stands for: a SPIFFE ID is a workload, anything else a service. */
export function newIdentity(name: string, clientId: string | null, at: Date | null): NewIdentity {
  const spiffe = name.startsWith('spiffe://') ? name : null;
  return { name, kind: spiffe ? 'workload' : 'service', clientId: clientId ?? null, spiffeId: spiffe, lastSeenAt: at };
}

/** The identity name an inventory record belongs to. */
export function inventoryIdentityName(t: TokenRecord): string {
  return identityNameOf(t.identityName) ?? t.clientId ?? t.subject ?? 'unknown';
}

/** Token facts a request's JWT claims state (the binding is the binding engine's to decide). */
export interface ClaimTexts {
  expiresAt: Date | null;
  jti: string | null;
  issuer: string | null;
  subject: string | null;
  clientId: string | null;
  issuedAt: Date | null;
  scopes: string[];
}

export function claimTextsOf(ev: Pick<NormalizedEvent, 'tokenClaims'>): ClaimTexts {
  const c = ev.tokenClaims ?? {};
  const str = (v: unknown) => (typeof v === 'string' && v ? v.slice(0, 500) : null);
  const time = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1e11 ? new Date(v * 1000) : null);
  const scopes = typeof c.scope === 'string' ? c.scope.split(/\s+/).filter(Boolean).slice(0, 100) : [];
  return { expiresAt: time(c.exp), jti: str(c.jti), issuer: str(c.iss), subject: str(c.sub), clientId: str(c.client_id) ?? str(c.azp), issuedAt: time(c.iat), scopes };
}

/**
 * A token's status from an inventory record: RFC 7662 `active: false` is expired when past its
 * expiry, else revoked; any other record is expired once past its expiry, else active.
 */
export function tokenStatusOf(rec: Pick<TokenRecord, 'active' | 'expiresAt'>, now: Date): 'active' | 'expired' | 'revoked' {
  const past = !!rec.expiresAt && rec.expiresAt.getTime() <= now.getTime();
  if (rec.active === false) return past ? 'expired' : 'revoked';
  return past ? 'expired' : 'active';
}

/** Lifetime in whole seconds (int4), or null without both times. */
export function tokenTtlSeconds(issuedAt: Date | null, expiresAt: Date | null): number | null {
  if (!issuedAt || !expiresAt) return null;
  return Math.max(0, Math.min(2 ** 31 - 1, Math.round((expiresAt.getTime() - issuedAt.getTime()) / 1000)));
}

/** An exposure is the same finding when scanner, token, rule, location and commit are. */
export function exposureDedupeKey(x: ExposureRecord): string {
  return createHash('sha256').update(`exposure\n${x.scanner}\n${x.fingerprint}\n${x.ruleId ?? ''}\n${x.location ?? ''}\n${x.commit ?? ''}`).digest('base64url');
}
