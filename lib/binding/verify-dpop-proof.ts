import { constants, createPublicKey, hash, verify as cryptoVerify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { DpopFailureReason } from '../domain/types.ts';
import { isCanonicalBase64url } from './base64url.ts';
import { isBindingError } from './errors.ts';
import { jwkThumbprintInput } from './jwk-thumbprint.ts';
import { KeyCache } from './key-cache.ts';
import { checkAth, checkHtm, checkHtu, checkIat, checkJkt, checkNonce, checkScheme } from './dpop-claim-checks.ts';
import { normalizeHtu } from './normalize-htu.ts';
import type { ReplayStore } from './replay-store.ts';
import { rfcErrorFor } from './rfc-error.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import type { BindingCheck, DpopRfcError, DpopVerifyConfig } from './types.ts';

export const DEFAULT_DPOP_CONFIG: DpopVerifyConfig = {
  maxAgeSeconds: 300,
  // Small: a proof is made just before the request; 5 s covers ordinary clock drift without
  // letting a client pre-generate proofs for later use.
  futureSkewSeconds: 5,
  allowedAlgs: ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'],
  maxProofLength: 8192,
};

interface AlgSpec {
  kty: 'EC' | 'RSA' | 'OKP';
  crv?: readonly string[];
  hash: string | null;
  dsaEncoding?: 'ieee-p1363';
  sigLength?: number;
  pss?: number;
}

const ALGS: Record<string, AlgSpec> = {
  ES256: { kty: 'EC', crv: ['P-256'], hash: 'sha256', dsaEncoding: 'ieee-p1363', sigLength: 64 },
  ES384: { kty: 'EC', crv: ['P-384'], hash: 'sha384', dsaEncoding: 'ieee-p1363', sigLength: 96 },
  ES512: { kty: 'EC', crv: ['P-521'], hash: 'sha512', dsaEncoding: 'ieee-p1363', sigLength: 132 },
  RS256: { kty: 'RSA', hash: 'sha256' },
  RS384: { kty: 'RSA', hash: 'sha384' },
  RS512: { kty: 'RSA', hash: 'sha512' },
  PS256: { kty: 'RSA', hash: 'sha256', pss: 32 },
  PS384: { kty: 'RSA', hash: 'sha384', pss: 48 },
  PS512: { kty: 'RSA', hash: 'sha512', pss: 64 },
  EdDSA: { kty: 'OKP', crv: ['Ed25519', 'Ed448'], hash: null },
  Ed25519: { kty: 'OKP', crv: ['Ed25519'], hash: null },
};

// RFC 7518 §3.3: RSA keys of 2048 bits or larger MUST be used with RS*/PS*.
const MIN_RSA_BITS = 2048;

// Members that only a private (or symmetric) key has (RFC 7517/7518 §6).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export interface VerifyDpopProofInput {
  /** The DPoP header value(s) as received; more than one is itself a failure. */
  proof: string | readonly string[];
  /** Request method; null when unknown (the htm check is then skipped). */
  method: string | null;
  /** Request URL (absolute, or a path when that is all a log recorded); null when unknown. */
  url: string | null;
  /** The access token sent with the proof (hashed for `ath`, never kept). */
  accessToken?: string | null;
  /** Alternatively the SHA-256 base64url of the access token (what gateways log). */
  accessTokenHash?: string | null;
  /** The token's `cnf.jkt`, when the token is DPoP-bound. */
  expectedJkt?: string | null;
  /** The nonce the server issued, when it requires one. */
  expectedNonce?: string | null;
  /** Authorization scheme the token came with (`DPoP`, `Bearer`). */
  authScheme?: string | null;
}

export interface VerifyDpopProofDeps {
  /** Clock in milliseconds since the epoch. */
  now?: () => number;
  /** Remembers jti per target URI; without one the replay check is skipped (and says so). */
  replayStore?: ReplayStore;
  keyCache?: KeyCache;
  config?: Partial<DpopVerifyConfig>;
}

export interface DpopProofVerification {
  ok: boolean;
  reason: DpopFailureReason | null;
  rfcError: DpopRfcError | null;
  /** RFC 7638 thumbprint of the proof key, when the proof got that far. */
  jkt: string | null;
  checks: BindingCheck[];
  /** Claims of the proof (none of them secret), when it parsed. */
  claims: { htm: string; htu: string; iat: number; jti: string } | null;
  /** The `alg` its header declared (see displayAlg), when the header parsed; names an `alg` failure. */
  alg: string | null;
}

// Check name → the reason its failure produces.
const CHECK_REASON: Record<string, DpopFailureReason> = {
  single_header: 'multiple_proofs',
  well_formed: 'malformed',
  typ: 'typ',
  alg: 'alg',
  no_private_key: 'private_key_in_jwk',
  jwk: 'malformed',
  signature: 'signature',
  htm: 'htm',
  htu: 'htu',
  nonce: 'nonce',
  iat: 'iat',
  jti: 'jti_replay',
  ath: 'ath',
  jkt: 'jkt_mismatch',
  scheme: 'bearer_scheme_for_dpop_token',
};

const defaultKeyCache = new KeyCache(1000);

function parseJsonSegment(seg: string): Record<string, unknown> | null {
  if (seg.length === 0 || !isCanonicalBase64url(seg)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(seg, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function isTyp(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const t = v.toLowerCase();
  return t === 'dpop+jwt' || t === 'application/dpop+jwt';
}

function finish(checks: BindingCheck[], jkt: string | null, claims: DpopProofVerification['claims'], alg: string | null = null): DpopProofVerification {
  const failed = checks.find((c) => !c.ok);
  const reason = failed ? (CHECK_REASON[failed.name] ?? 'malformed') : null;
  return { ok: !failed, reason, rfcError: reason ? rfcErrorFor(reason) : null, jkt, checks, claims, alg };
}

function fail(
  checks: BindingCheck[], name: string, detail: string, jkt: string | null = null, claims: DpopProofVerification['claims'] = null, alg: string | null = null,
): DpopProofVerification {
  checks.push({ name, ok: false, detail });
  return finish(checks, jkt, claims, alg);
}

/** Remembers a header's failed checks for the next proof with the same header bytes; returns `out`. */
function rejectHeader(
  keyCache: KeyCache, h64: string, algs: string, checks: BindingCheck[], from: number, out: DpopProofVerification,
): DpopProofVerification {
  keyCache.setRejectedHeader(h64, { algs, jkt: out.jkt, alg: out.alg, checks: checks.slice(from) });
  return out;
}

/** The replay store's key of a proof: the URI it targets and its jti. */
function replayKey(uri: string, jti: string): string {
  return `${uri} ${jti}`;
}

/**
 * The key verifyDpopProofAt remembers a proof under, read from the proof without verifying it (a
 * caller that keeps proofs beyond one replay store looks them up by it); null when the payload
 * has no string htu and jti.
 */
export function proofReplayKey(proof: string): string | null {
  const payload = parseJsonSegment(proof.split('.')[1] ?? '');
  const htu = payload?.htu;
  const jti = payload?.jti;
  if (typeof htu !== 'string' || typeof jti !== 'string') return null;
  let uri: string;
  try {
    uri = normalizeHtu(htu);
  } catch {
    uri = htu;
  }
  return replayKey(uri, jti);
}

/**
 * The header's `alg` as it may be shown: the value is the sender's, so anything but a short
 * algorithm-like name is replaced by its JSON type, and it is quoted where it is shown.
 */
export function displayAlg(v: unknown): string | null {
  if (v === undefined) return null;
  if (typeof v === 'string' && /^[A-Za-z0-9+._-]{1,32}$/.test(v)) return v;
  return typeof v === 'string' ? '(unreadable string)' : `(${v === null ? 'null' : typeof v})`;
}

/** RFC 9449 §4.3 check 5 in words that name the algorithm: the analyst sees which attempt it was. */
function algRefusal(alg: string, known: boolean): string {
  if (alg.toLowerCase() === 'none') return 'alg "none" is not allowed: an unsigned proof, which anyone can forge';
  if (/^HS\d+$/i.test(alg)) return `alg "${alg}" is not allowed: symmetric (HMAC), and a DPoP proof must be signed with an asymmetric key`;
  if (!known) return `alg "${alg}" is not allowed: not an algorithm known for DPoP proofs`;
  return `alg "${alg}" is not allowed by the configured algorithms`;
}

// A rejected header's outcome depends on the allowed algorithms too; joined once per list, not per proof.
const algsKeys = new WeakMap<readonly string[], string>();
function algsKeyOf(algs: readonly string[]): string {
  let k = algsKeys.get(algs);
  if (k === undefined) {
    k = algs.join(',');
    algsKeys.set(algs, k);
  }
  return k;
}

/**
 * Verifies a DPoP proof with every RFC 9449 §4.3 check, in order, returning each check and the
 * first failure as a typed reason. Structural checks (through the signature) stop at the first
 * failure, since nothing in an unverified proof can be trusted; the claim checks after the
 * signature all run so an analyst sees every problem. The jti is remembered only for proofs that
 * pass every other check, so a rejected proof cannot burn a jti.
 *
 * Deviation from the RFC's listed order, on purpose: a private key in `jwk` is rejected before
 * the signature check, so private key material is never imported or cached.
 */
export function verifyDpopProof(input: VerifyDpopProofInput, deps: VerifyDpopProofDeps = {}): Promise<DpopProofVerification> {
  try {
    return Promise.resolve(verifyDpopProofAt(input, deps, (deps.now ?? Date.now)()));
  } catch (e) {
    return Promise.reject(e as Error);
  }
}

/**
 * verifyDpopProof as of `nowMs` (`deps.now` is not consulted), without the promise when none is
 * needed: every check is synchronous except a replay store that answers asynchronously, so
 * per-event callers (log classification) pay for a promise only then.
 */
export function verifyDpopProofAt(
  input: VerifyDpopProofInput,
  deps: Omit<VerifyDpopProofDeps, 'now'>,
  nowMs: number,
): DpopProofVerification | Promise<DpopProofVerification> {
  const cfg: DpopVerifyConfig = deps.config ? { ...DEFAULT_DPOP_CONFIG, ...deps.config } : DEFAULT_DPOP_CONFIG;
  const keyCache = deps.keyCache ?? defaultKeyCache;
  const checks: BindingCheck[] = [];
  let jkt: string | null = null;

  // 1. Exactly one DPoP header.
  let proof: string;
  if (typeof input.proof === 'string') {
    proof = input.proof;
  } else if (Array.isArray(input.proof) && input.proof.length === 1 && typeof input.proof[0] === 'string') {
    proof = input.proof[0];
  } else {
    const n = Array.isArray(input.proof) ? input.proof.length : 0;
    return fail(checks, n === 0 ? 'well_formed' : 'single_header', `expected exactly one DPoP header, got ${n}`);
  }
  if (proof.includes(',')) return fail(checks, 'single_header', 'DPoP header holds more than one value');
  checks.push({ name: 'single_header', ok: true, detail: 'one DPoP header' });

  // 2-3. One well-formed JWS compact serialization with the required members.
  proof = proof.trim();
  if (proof.length > cfg.maxProofLength) return fail(checks, 'well_formed', `proof longer than ${cfg.maxProofLength} characters`);
  const parts = proof.split('.');
  if (parts.length !== 3) return fail(checks, 'well_formed', 'not a JWT (expected three dot-separated parts)');
  const [h64, p64, s64] = parts as [string, string, string];
  // Same header bytes as a proof already accepted: its header checks are already known.
  const known = keyCache.getHeader(h64);
  // Same header bytes as a proof already rejected on its header alone (typ, alg, private key, jwk):
  // the outcome is the same, decided without re-parsing and re-importing.
  // Keyed by the header alone (its hash, computed for the lookup above, is reused); the entry
  // counts only under the allowed algorithms it was decided with.
  const algs = known ? '' : algsKeyOf(cfg.allowedAlgs);
  const rejectedEntry = known ? undefined : keyCache.getRejectedHeader(h64);
  const rejected = rejectedEntry?.algs === algs ? rejectedEntry : undefined;
  const header = known || rejected ? null : parseJsonSegment(h64);
  if (!known && !rejected && !header) return fail(checks, 'well_formed', 'JOSE header is not canonical base64url JSON object');
  const payload = parseJsonSegment(p64);
  if (!payload) return fail(checks, 'well_formed', 'claims are not a canonical base64url JSON object');
  // An empty signature is well-formed JWS (an unsecured JWT, RFC 7519 §6): an `alg: none` proof
  // must reach the alg check and be named for what it is, not dismissed as malformed.
  if (s64.length > 0 && !isCanonicalBase64url(s64)) return fail(checks, 'well_formed', 'signature is not canonical base64url');
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0) return fail(checks, 'well_formed', 'claim "jti" missing or not a string');
  if (typeof htm !== 'string' || htm.length === 0) return fail(checks, 'well_formed', 'claim "htm" missing or not a string');
  if (typeof htu !== 'string' || htu.length === 0) return fail(checks, 'well_formed', 'claim "htu" missing or not a string');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return fail(checks, 'well_formed', 'claim "iat" missing or not a number');
  const claims = { htm, htu, iat, jti };
  checks.push({ name: 'well_formed', ok: true, detail: 'one JWT with jti, htm, htu and iat' });
  if (rejected) {
    checks.push(...rejected.checks);
    return finish(checks, rejected.jkt, claims, rejected.alg);
  }
  let alg: string;
  let spec: AlgSpec;
  let key: KeyObject;
  if (known) {
    alg = known.alg;
    const s = ALGS[alg];
    // The configuration may differ between callers sharing a cache.
    if (!s || !cfg.allowedAlgs.includes(alg)) return fail(checks, 'alg', algRefusal(alg, !!s), jkt, claims, alg);
    spec = s;
    jkt = known.jkt;
    key = known.key;
    checks.push(
      { name: 'typ', ok: true, detail: 'typ is dpop+jwt' },
      { name: 'alg', ok: true, detail: `alg ${alg} is an allowed asymmetric algorithm` },
      { name: 'no_private_key', ok: true, detail: 'jwk is a public key' },
    );
  } else {
    // (Declared here, not above: on the hot path the header is already known.)
    const headerChecksFrom = checks.length;
    const h = header as Record<string, unknown>;
    const declaredAlg = displayAlg(h.alg);
    const failHeader = (name: string, detail: string): DpopProofVerification =>
      rejectHeader(keyCache, h64, algs, checks, headerChecksFrom, fail(checks, name, detail, jkt, claims, declaredAlg));
    // 4. typ.
    if (!isTyp(h.typ)) return failHeader('typ', `typ must be "dpop+jwt", got ${JSON.stringify(h.typ ?? null).slice(0, 40)}`);
    checks.push({ name: 'typ', ok: true, detail: 'typ is dpop+jwt' });

    // 5. alg: asymmetric and allowed — decided on the name alone, before the header's key is
    // looked at, so `none` or HMAC is reported as such even with no (or a symmetric) jwk.
    if (typeof h.alg !== 'string') return failHeader('alg', `alg missing or not a string: ${declaredAlg ?? '(absent)'}`);
    alg = h.alg;
    const s = ALGS[alg];
    if (!s || !cfg.allowedAlgs.includes(alg)) return failHeader('alg', algRefusal(declaredAlg ?? '(unreadable)', !!s));
    spec = s;
    // The proof key (§4.2: a public JWK in the header); a `crit` header could demand semantics we do not implement.
    const jwk = h.jwk;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return failHeader('jwk', 'header "jwk" missing or not an object');
    if (h.crit !== undefined) return failHeader('jwk', 'header "crit" is not supported');
    const jwkRec = jwk as Record<string, unknown>;
    // ...and the alg must fit that key.
    if (jwkRec.kty !== spec.kty || (spec.crv && !spec.crv.includes(String(jwkRec.crv)))) {
      // A symmetric (`oct`) jwk falls through: it is a secret, reported as such below.
      if (jwkRec.kty !== 'oct') return failHeader('alg', `alg ${alg} does not fit a ${String(jwkRec.kty).slice(0, 16)} key`);
    }
    checks.push({ name: 'alg', ok: true, detail: `alg ${alg} is an allowed asymmetric algorithm` });

    // 7 (moved before 6, see TSDoc). No private key in jwk.
    const priv = PRIVATE_MEMBERS.filter((m) => m in jwkRec);
    if (priv.length > 0) return failHeader('no_private_key', `jwk contains private key member(s): ${priv.join(', ')}`);
    checks.push({ name: 'no_private_key', ok: true, detail: 'jwk is a public key' });

    // 6. (key) Imported once per thumbprint.
    try {
      const tpInput = jwkThumbprintInput(jwkRec);
      const thumbprint = hash('sha256', tpInput, 'base64url');
      jkt = thumbprint;
      let imported = keyCache.get(thumbprint);
      if (!imported) {
        imported = createPublicKey({ key: JSON.parse(tpInput) as JsonWebKey, format: 'jwk' });
        // Weak RSA keys never enter the cache, so this check runs once per accepted key.
        const bits = imported.asymmetricKeyDetails?.modulusLength;
        if (spec.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_BITS)) {
          return failHeader('alg', `RSA key of ${bits ?? '?'} bits is below the ${MIN_RSA_BITS}-bit minimum`);
        }
        keyCache.set(thumbprint, imported);
      }
      key = imported;
    } catch (e) {
      jkt = null;
      return failHeader('jwk', isBindingError(e) ? e.message : 'jwk is not a valid public key');
    }
  }

  let sigOk = false;
  try {
    const sig = Buffer.from(s64, 'base64url');
    if (spec.sigLength === undefined || sig.length === spec.sigLength) {
      const data = Buffer.from(`${h64}.${p64}`, 'ascii');
      sigOk = cryptoVerify(
        spec.hash,
        data,
        spec.pss !== undefined
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: spec.pss }
          : spec.dsaEncoding
            ? { key, dsaEncoding: spec.dsaEncoding }
            : key,
        sig,
      );
    }
  } catch {
    sigOk = false;
  }
  if (!sigOk) return fail(checks, 'signature', `signature does not verify with the proof's own jwk (${alg})`, jkt, claims, alg);
  if (!known) keyCache.setHeader(h64, { alg, jkt, key });
  checks.push({ name: 'signature', ok: true, detail: `signature verifies with the proof's jwk (${alg})` });

  // 8-12 and §7.2 all run; the first failure (in this order) is the reason.
  // htu normalised once: for the comparison and as the replay key's target URI.
  let proofHtu: string | null;
  try {
    proofHtu = normalizeHtu(htu);
  } catch {
    proofHtu = null;
  }
  const replayUri = proofHtu ?? htu;
  const tokenHash = input.accessToken ? fingerprintToken(input.accessToken) : (input.accessTokenHash ?? null);
  const expectedJkt = input.expectedJkt ?? null;
  checks.push(
    checkHtm(htm, input.method),
    checkHtu(proofHtu, input.url),
    checkNonce(payload.nonce, input.expectedNonce),
    checkIat(iat, nowMs, cfg),
    checkAth(payload.ath, tokenHash),
    checkJkt(jkt, expectedJkt),
  );
  const scheme = checkScheme(input.authScheme, expectedJkt !== null);
  if (scheme) checks.push(scheme);

  // Replay last, and only for a proof that passed everything else.
  if (checks.some((c) => !c.ok)) return finish(checks, jkt, claims, alg);
  if (!deps.replayStore) {
    checks.push({ name: 'jti', ok: true, skipped: true, detail: 'not checked: no replay store' });
    return finish(checks, jkt, claims, alg);
  }
  const expiresAtMs = (iat + cfg.maxAgeSeconds + cfg.futureSkewSeconds) * 1000;
  const replay = deps.replayStore.remember(replayKey(replayUri, jti), expiresAtMs, nowMs);
  const provenJkt = jkt;
  const provenAlg = alg;
  if (typeof (replay as PromiseLike<boolean> | null)?.then !== 'function') return finishReplay(checks, replay as boolean, provenJkt, claims, provenAlg);
  return Promise.resolve(replay).then((r) => finishReplay(checks, r, provenJkt, claims, provenAlg));
}

function finishReplay(
  checks: BindingCheck[], replay: boolean, jkt: string | null, claims: DpopProofVerification['claims'], alg: string,
): DpopProofVerification {
  checks.push({ name: 'jti', ok: !replay, detail: replay ? 'jti already used for this URI within the window' : 'jti not seen before for this URI' });
  return finish(checks, jkt, claims, alg);
}
