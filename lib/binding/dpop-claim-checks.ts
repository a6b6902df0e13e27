// The RFC 9449 §4.3 checks that run after the signature verifies (steps 8-12 and §7.2), one
// small named rule each. Pure: every input is passed in; each returns one BindingCheck.
import { normalizeHtu, normalizeHtuPath } from './normalize-htu.ts';
import type { BindingCheck, DpopVerifyConfig } from './types.ts';

const skipped = (name: string, why: string): BindingCheck => ({ name, ok: true, skipped: true, detail: `not checked: ${why}` });
const clip = (s: string) => (s.length > 64 ? `${s.slice(0, 61)}…` : s);

/**
 * `htm` equals the request method. Methods are case-sensitive (RFC 9110 §9.1); a lower-case
 * method as some logs/CLIs print it is compared in upper case, the proof's own value never is.
 */
export function checkHtm(htm: string, method: unknown): BindingCheck {
  if (typeof method !== 'string' || method === '') return skipped('htm', 'request method unknown');
  const ok = htm === method || htm === method.toUpperCase();
  return { name: 'htm', ok, detail: ok ? `htm ${htm} matches` : `htm ${clip(htm)} ≠ request method ${clip(method)}` };
}

/**
 * `htu` equals the request URI after RFC 3986 §6.2.2–6.2.3 normalisation, query and fragment
 * ignored. Proxies rewrite case, default ports and percent-encoding; comparing raw strings
 * would fail valid proofs. A path-only log line is compared on the path alone.
 * `proofHtu` is the proof's htu already normalised, or null when it is not an http(s) URI.
 */
export function checkHtu(proofHtu: string | null, url: unknown): BindingCheck {
  if (typeof url !== 'string' || url === '') return skipped('htu', 'request URL unknown');
  if (proofHtu === null) return { name: 'htu', ok: false, detail: 'htu is not a valid http(s) URI' };
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(url)) {
      const want = normalizeHtu(url);
      if (proofHtu === want) return { name: 'htu', ok: true, detail: `htu matches ${clip(want)}` };
      // A logged authority without a port (NGINX's `$host`, a Host header on a default port) does
      // not say which port the client used: scheme, host and path are compared, the port is not.
      if (!AUTHORITY_WITH_PORT.test(url) && withoutPort(proofHtu) === want) {
        return { name: 'htu', ok: true, detail: `htu matches ${clip(want)} (the log names no port)` };
      }
      return { name: 'htu', ok: false, detail: `htu does not match ${clip(want)} after RFC 3986 normalisation` };
    }
    const want = normalizeHtuPath(url);
    const ok = normalizeHtuPath(proofHtu) === want;
    return { name: 'htu', ok, detail: ok ? `htu path matches ${clip(want)} (log had a path only)` : `htu path does not match ${clip(want)}` };
  } catch {
    return { name: 'htu', ok: false, detail: 'request URL is not a valid http(s) URI' };
  }
}

/** An absolute URI whose authority names a port. */
const AUTHORITY_WITH_PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*):\d/i;

/** A normalised htu without its port. */
function withoutPort(htu: string): string {
  const u = new URL(htu);
  u.port = '';
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** When the server issued a nonce, the proof carries exactly it (else `use_dpop_nonce`). */
export function checkNonce(proofNonce: unknown, expected: string | null | undefined): BindingCheck {
  if (!expected) return skipped('nonce', 'no server nonce required');
  const ok = proofNonce === expected;
  const detail = ok ? 'nonce matches the server nonce' : proofNonce === undefined ? 'proof has no nonce but the server requires one' : 'nonce is not the server nonce';
  return { name: 'nonce', ok, detail };
}

/**
 * `iat` lies in [now − maxAge, now + futureSkew]. The window bounds how long a captured proof
 * is useful and how long jtis must be remembered; the small future skew tolerates client
 * clocks slightly ahead without letting proofs be minted for later.
 */
export function checkIat(iat: number, nowMs: number, cfg: Pick<DpopVerifyConfig, 'maxAgeSeconds' | 'futureSkewSeconds'>): BindingCheck {
  const nowS = nowMs / 1000;
  const age = Math.round(nowS - iat);
  if (iat < nowS - cfg.maxAgeSeconds) return { name: 'iat', ok: false, detail: `iat is ${age} s old (window ${cfg.maxAgeSeconds} s)` };
  if (iat > nowS + cfg.futureSkewSeconds) return { name: 'iat', ok: false, detail: `iat is ${-age} s in the future (skew allowed ${cfg.futureSkewSeconds} s)` };
  return { name: 'iat', ok: true, detail: `iat within window (${age} s old)` };
}

/** With an access token, `ath` is base64url(SHA-256(token)): the proof is for this token only. */
export function checkAth(proofAth: unknown, tokenHash: string | null): BindingCheck {
  if (!tokenHash) return skipped('ath', 'no access token');
  const ok = proofAth === tokenHash;
  const detail = ok ? 'ath is the hash of the access token' : proofAth === undefined ? 'proof has no ath but came with an access token' : 'ath is not the hash of this access token';
  return { name: 'ath', ok, detail };
}

/** The proof key's RFC 7638 thumbprint is the token's `cnf.jkt`: whoever sends it holds the key. */
export function checkJkt(jkt: string, expectedJkt: string | null): BindingCheck {
  if (!expectedJkt) return skipped('jkt', 'token binding (cnf.jkt) unknown');
  const ok = jkt === expectedJkt;
  return { name: 'jkt', ok, detail: ok ? "proof key is the token's cnf.jkt" : 'proof key is not the key the token is bound to (cnf.jkt)' };
}

/**
 * A DPoP-bound token must come with the `DPoP` scheme (RFC 9449 §7.2): accepting it as `Bearer`
 * lets a resource server skip the proof, which defeats the binding.
 */
export function checkScheme(scheme: unknown, dpopBound: boolean): BindingCheck | null {
  if (!dpopBound || typeof scheme !== 'string' || scheme === '') return null;
  const bearer = scheme.toLowerCase() === 'bearer';
  return { name: 'scheme', ok: !bearer, detail: bearer ? 'DPoP-bound token sent with the Bearer scheme' : `token sent with the ${clip(scheme)} scheme` };
}
