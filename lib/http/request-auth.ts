// Who is calling: a session cookie (browser) or an API key (`Authorization: Bearer hf_…`, or
// `Authorization: DPoP hf_…` with a `DPoP` proof header for keys bound to a proof key).
import { verifyDpopRequest } from '../binding/index.ts';
import { readSetting, type Env } from '../config.ts';
import { resolveApiKey } from '../auth/api-keys.ts';
import type { Principal } from '../auth/permissions.ts';
import { resolveSession, SESSION_COOKIE } from '../auth/sessions.ts';
import type { Database } from '../db/open.ts';
import { HoldfastError } from '../errors.ts';
import { getSecretKey } from '../server/secret-key.ts';
import { isCurrentDpopNonce, issueDpopNonce, proofNonceClaim } from './dpop-nonce.ts';
import { replayStoreFor } from './shared-replay-store.ts';

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

/** What of the request a DPoP proof is checked against (htm, htu). */
export interface RequestTarget {
  method: string;
  url: string;
}

/** Algorithms accepted in proofs, advertised in WWW-Authenticate (RFC 9449 §7.1). */
const DPOP_ALGS = 'ES256 ES384 ES512 PS256 PS384 PS512 RS256 RS384 RS512 EdDSA';

function dpopChallenge(error: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce', description: string, dpopNonce?: string): HoldfastError {
  return new HoldfastError('unauthorized', description, {
    wwwAuthenticate: `DPoP algs="${DPOP_ALGS}", error="${error}", error_description="${description.replace(/["\\]/g, '')}"`,
    error,
    // Sent as the DPoP-Nonce header (lib/http/problem.ts).
    dpopNonce,
  });
}

/** HOLDFAST_DPOP_NONCE: `required` (default) or `off` (validated at start by lib/config.ts). */
const noncesRequired = (env?: Env) => readSetting('HOLDFAST_DPOP_NONCE', env) !== 'off';

/**
 * The URL the client addressed, for `htu`. HOLDFAST_PUBLIC_URL (operator configuration) wins;
 * X-Forwarded-Proto/Host count only when HOLDFAST_TRUST_PROXY=1 says a reverse proxy sets them
 * (anyone reaching the app directly could send them otherwise); else the Host header as received.
 */
export function addressedUrl(req: RequestTarget, headers: Headers, env?: Env): string {
  const u = new URL(req.url);
  const publicUrl = readSetting('HOLDFAST_PUBLIC_URL', env);
  if (publicUrl) {
    const p = new URL(publicUrl);
    return `${p.protocol}//${p.host}${u.pathname}${u.search}`;
  }
  let proto = u.protocol.replace(/:$/, '');
  let host = headers.get('host')?.trim() || u.host;
  if (readSetting('HOLDFAST_TRUST_PROXY', env) === '1') {
    const fp = headers.get('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
    const fh = headers.get('x-forwarded-host')?.split(',')[0]?.trim();
    if (fp === 'http' || fp === 'https') proto = fp;
    if (fh) host = fh;
  }
  try {
    return new URL(`${proto}://${host}${u.pathname}${u.search}`).toString();
  } catch {
    return u.toString();
  }
}

// The source binding travels with the principal: it makes the key ingest-only (lib/auth/permissions.ts).
const apiKeyPrincipal = (key: { id: string; name: string; displayStub: string; role: Principal['role']; scopes: Principal['scopes']; sourceId: string | null }): Principal => ({
  kind: 'apikey',
  id: key.id,
  label: `apikey:${key.name} (${key.displayStub})`,
  role: key.role,
  scopes: key.scopes,
  sourceId: key.sourceId,
});

/**
 * Resolves the caller. A key bound to a DPoP key (ApiKey.dpopJkt) must come as
 * `Authorization: DPoP hf_…` with exactly one valid proof for this method and URL, signed by that
 * key, carrying `ath` of the API key and an unseen jti; anything else is a 401 with a DPoP
 * challenge. A `DPoP` scheme always needs a valid proof, bound key or not.
 */
export async function principalFromRequest(db: Database, headers: Headers, target?: RequestTarget): Promise<Principal | null> {
  const authz = headers.get('authorization');
  if (authz) {
    const m = /^(Bearer|DPoP)\s+(\S+)$/i.exec(authz.trim());
    if (!m) return null;
    const scheme = m[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const key = await resolveApiKey(db, m[2]);
    if (!key) return null;
    if (key.dpopJkt && scheme !== 'DPoP') throw dpopChallenge('invalid_token', 'this API key is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
    if (scheme === 'DPoP') {
      const proofs = headers.get('dpop');
      if (!proofs) throw dpopChallenge('invalid_dpop_proof', 'a DPoP proof header is required with the DPoP scheme');
      if (!target) throw dpopChallenge('invalid_dpop_proof', 'DPoP is not accepted here');
      // Server nonces (RFC 9449 §8): the proof must carry one this deployment issued lately;
      // else 401 use_dpop_nonce with a fresh one in DPoP-Nonce, and the client signs again.
      // `fresh` is the nonce to hand out: in the challenge, or for the next proof (§8.2).
      let nonce: string | null = null;
      let fresh: string | null = null;
      if (noncesRequired()) {
        const secret = getSecretKey();
        const now = Date.now();
        fresh = issueDpopNonce(secret, now);
        const claimed = proofNonceClaim(proofs);
        nonce = isCurrentDpopNonce(secret, claimed, now) ? (claimed as string) : fresh;
      }
      const r = await verifyDpopRequest(
        { proof: proofs, method: target.method, url: addressedUrl(target, headers), token: m[2], jkt: key.dpopJkt, authScheme: 'DPoP', nonce },
        // A proof's jti is remembered for its acceptance window in the database, so a captured
        // request cannot be replayed against this or any other instance.
        { replayStore: replayStoreFor(db) },
      ).catch(() => null);
      if (!r) throw dpopChallenge('invalid_dpop_proof', 'the DPoP proof could not be checked');
      if (!r.ok && r.rfcError === 'use_dpop_nonce' && fresh) {
        throw dpopChallenge('use_dpop_nonce', 'sign the DPoP proof again with the nonce in the DPoP-Nonce header', fresh);
      }
      if (!r.ok) throw dpopChallenge('invalid_dpop_proof', `DPoP proof refused (${r.reason})`);
      // RFC 9449 §8.2: the nonce for the next proof rides on the response, so a client that keeps
      // going is never challenged again.
      if (fresh) return { ...apiKeyPrincipal(key), dpopNonce: fresh };
    }
    return apiKeyPrincipal(key);
  }
  const cookie = readCookie(headers.get('cookie'), SESSION_COOKIE);
  const s = await resolveSession(db, cookie);
  if (!s) return null;
  return {
    kind: 'user',
    id: s.user.id,
    label: `user:${s.user.email}`,
    role: s.user.role,
    scopes: [],
    sessionId: s.sessionId,
    csrfSecret: s.csrfSecret,
  };
}
