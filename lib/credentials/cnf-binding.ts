// The binding a token's confirmation claim (`cnf`) establishes: the one rule lib/binding (verdicts,
// token classification) and lib/ingest (tokens read from inventories, introspection dumps and
// logs) both apply, so a token is never "bound" in one place and "bearer" in the other.
import type { Binding } from '../domain/types.ts';
import { isCanonicalBase64url } from './base64url.ts';

/** Why a token's binding is not a clean single answer. */
export type BindingAnomaly = 'cnf_both_jkt_and_x5t' | 'cnf_malformed' | 'declared_binding_conflict';

function asObject(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

export interface CnfFacts {
  jkt: string | null;
  x5t: string | null;
  malformed: boolean;
}

/** Reads `cnf` strictly: a jkt / x5t#S256 counts only as 43 characters of canonical base64url. */
export function readCnf(cnfRaw: unknown): CnfFacts {
  if (cnfRaw === undefined || cnfRaw === null) return { jkt: null, x5t: null, malformed: false };
  const cnf = asObject(cnfRaw);
  if (!cnf) return { jkt: null, x5t: null, malformed: true };
  const jktRaw = cnf.jkt;
  const x5tRaw = cnf['x5t#S256'];
  let malformed = false;
  let jkt: string | null = null;
  let x5t: string | null = null;
  if (jktRaw !== undefined) {
    if (typeof jktRaw === 'string' && jktRaw.length === 43 && isCanonicalBase64url(jktRaw)) jkt = jktRaw;
    else malformed = true;
  }
  if (x5tRaw !== undefined) {
    if (typeof x5tRaw === 'string' && x5tRaw.length === 43 && isCanonicalBase64url(x5tRaw)) x5t = x5tRaw;
    else malformed = true;
  }
  return { jkt, x5t, malformed };
}

/** The binding a confirmation claim establishes; both members at once is an anomaly, not a choice. */
export function decideBinding(cnf: CnfFacts): { binding: Binding; anomaly: BindingAnomaly | null } {
  if (cnf.jkt && cnf.x5t) return { binding: 'bearer', anomaly: 'cnf_both_jkt_and_x5t' };
  if (cnf.jkt) return { binding: 'dpop', anomaly: cnf.malformed ? 'cnf_malformed' : null };
  if (cnf.x5t) return { binding: 'mtls', anomaly: cnf.malformed ? 'cnf_malformed' : null };
  return { binding: 'bearer', anomaly: cnf.malformed ? 'cnf_malformed' : null };
}

/** A token's binding as its claims establish it, with the confirmation members it was read from. */
export interface ClaimsBinding {
  binding: Binding;
  cnfJkt: string | null;
  cnfX5tS256: string | null;
  anomaly: BindingAnomaly | null;
  bindingAnomaly: boolean;
}

/**
 * The one rule for a token's binding, from its claims (a JWT's payload or an RFC 7662
 * introspection response): `cnf.jkt` → dpop (RFC 9449 §6), `cnf["x5t#S256"]` → mtls (RFC 8705
 * §3.1), neither → bearer. Both at once → bearer with `bindingAnomaly`: no single binding can be
 * relied on (oidc-provider refuses to issue one, jose treats two proof-of-possession mechanisms
 * as an error, resource servers differ in which they enforce), so it must not count as
 * sender-constrained. How the token was presented (the `DPoP` or `Bearer` scheme) never enters:
 * a client can write any scheme in front of any token, and only the issuer's `cnf` binds it.
 */
export function bindingOfClaims(claims: Readonly<Record<string, unknown>> | null | undefined): ClaimsBinding {
  const cnf = readCnf(claims?.cnf);
  const { binding, anomaly } = decideBinding(cnf);
  return { binding, cnfJkt: cnf.jkt, cnfX5tS256: cnf.x5t, anomaly, bindingAnomaly: anomaly !== null };
}

