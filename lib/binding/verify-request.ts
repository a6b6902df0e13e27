// The two operations the CLI (`holdfast verify dpop|mtls`) and the API (`POST /api/v1/verify/*`)
// call. Output shapes follow CONTRACT.md; fields may be added, never renamed. Neither the token
// nor the proof is ever echoed: only fingerprints.
import type { Binding } from '../domain/types.ts';
import { bindingOfClaims, decodeJwt } from './classify-token.ts';
import { BindingError, isBindingError } from './errors.ts';
import { KeyCache } from './key-cache.ts';
import type { ReplayStore } from './replay-store.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';
import type { BindingCheck, DpopFailureReason, DpopRfcError, DpopVerifyConfig, MtlsFailureReason } from './types.ts';
import { verifyDpopProof } from './verify-dpop-proof.ts';
import { verifyMtlsBinding } from './verify-mtls-binding.ts';
import { explainDpop, explainMtls } from './words.ts';

export interface VerifyDpopRequestInput {
  proof: string | readonly string[];
  method: string;
  url: string;
  token?: string | null;
  /** Expected cnf.jkt; when absent it is read from a JWT `token`. */
  jkt?: string | null;
  /** The server nonce the proof must carry. */
  nonce?: string | null;
  /** Verify as of this time (the §4.1 example verifies at its own iat). */
  nowSeconds?: number | null;
  /** Authorization scheme the token was sent with, when known. */
  authScheme?: string | null;
}

export interface VerifyRequestDeps {
  now?: () => number;
  replayStore?: ReplayStore;
  keyCache?: KeyCache;
  config?: Partial<DpopVerifyConfig>;
}

export interface VerifyDpopRequestResult {
  ok: boolean;
  reason: DpopFailureReason | null;
  /** RFC 7638 thumbprint of the proof key; '' when the proof has no usable key. */
  jkt: string;
  checks: BindingCheck[];
  explanation: string;
  rfcError: DpopRfcError | null;
  tokenFingerprint: string | null;
  tokenBinding: Binding | null;
}

// Process-wide key cache: harmless to share (keys are public) and it saves re-imports. There is
// deliberately no default replay store: an analyst re-checking the same captured proof must not
// get `jti_replay` for their own second look. Inject a store where replays are to be caught.
const defaultKeyCache = new KeyCache(1000);

function requireString(v: unknown, name: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new BindingError('input_invalid', `${name} is required`);
  return v;
}

function tokenCnf(token: string): { binding: Binding; jkt: string | null; x5t: string | null } | null {
  try {
    const b = bindingOfClaims(decodeJwt(token).claims);
    return { binding: b.binding, jkt: b.cnfJkt, x5t: b.cnfX5tS256 };
  } catch (e) {
    if (isBindingError(e)) return null; // opaque token: its binding needs introspection
    throw e;
  }
}

/** `holdfast verify dpop`: every RFC 9449 check on one proof, with a plain-language explanation. */
export async function verifyDpopRequest(input: VerifyDpopRequestInput, deps: VerifyRequestDeps = {}): Promise<VerifyDpopRequestResult> {
  if (typeof input !== 'object' || input === null) throw new BindingError('input_invalid', 'input must be an object');
  const method = requireString(input.method, 'method');
  const url = requireString(input.url, 'url');
  if (typeof input.proof !== 'string' && !Array.isArray(input.proof)) throw new BindingError('input_invalid', 'proof is required');
  const token = input.token ?? null;
  const cnf = token ? tokenCnf(token) : null;
  const expectedJkt = input.jkt ?? cnf?.jkt ?? null;
  const nowSeconds = input.nowSeconds;
  const now = typeof nowSeconds === 'number' && Number.isFinite(nowSeconds) ? () => nowSeconds * 1000 : deps.now;
  const r = await verifyDpopProof(
    { proof: input.proof, method, url, accessToken: token, expectedJkt, expectedNonce: input.nonce ?? null, authScheme: input.authScheme ?? null },
    {
      now,
      replayStore: deps.replayStore,
      keyCache: deps.keyCache ?? defaultKeyCache,
      config: deps.config,
    },
  );
  return {
    ok: r.ok,
    reason: r.reason,
    jkt: r.jkt ?? '',
    checks: r.checks,
    explanation: explainDpop(r.reason, r.alg),
    rfcError: r.rfcError,
    tokenFingerprint: token ? fingerprintToken(token) : null,
    // A JWT's own cnf decides (bindingOfClaims); --jkt speaks for an opaque token's introspection.
    tokenBinding: cnf?.binding ?? (input.jkt ? 'dpop' : null),
  };
}

export interface VerifyMtlsRequestInput {
  /** PEM, URL-encoded PEM (NGINX $ssl_client_escaped_cert) or DER. */
  cert?: string | Uint8Array | null;
  certPem?: string | null;
  certDer?: Uint8Array | null;
  /** Only a logged fingerprint: x5t#S256, hex SHA-256 (Envoy) or hex SHA-1 (NGINX, not comparable). */
  fingerprint?: string | null;
  token?: string | null;
  /** Expected cnf x5t#S256; when absent it is read from a JWT `token`. */
  x5t?: string | null;
  nowSeconds?: number | null;
  caBundlePem?: string | null;
  crls?: ReadonlyArray<string | Uint8Array> | null;
}

export interface VerifyMtlsRequestResult {
  ok: boolean;
  reason: MtlsFailureReason | null;
  /** x5t#S256 of the presented certificate; '' when only a SHA-1 fingerprint was given. */
  x5tS256: string;
  checks: BindingCheck[];
  explanation: string;
  tokenFingerprint: string | null;
  tokenBinding: Binding | null;
}

/** `holdfast verify mtls`: the presented certificate against the token's cnf, validity, chain, CRL. */
export async function verifyMtlsRequest(input: VerifyMtlsRequestInput, deps: { now?: () => number } = {}): Promise<VerifyMtlsRequestResult> {
  if (typeof input !== 'object' || input === null) throw new BindingError('input_invalid', 'input must be an object');
  const certInput = input.cert ?? input.certPem ?? input.certDer ?? null;
  if (certInput === null && !input.fingerprint) throw new BindingError('input_invalid', 'a certificate or fingerprint is required');
  const token = input.token ?? null;
  const cnf = token ? tokenCnf(token) : null;
  const expected = input.x5t ?? cnf?.x5t ?? null;
  const nowSeconds = input.nowSeconds;
  const now = typeof nowSeconds === 'number' && Number.isFinite(nowSeconds) ? () => nowSeconds * 1000 : deps.now;
  const r = await verifyMtlsBinding(
    {
      presented: certInput !== null ? { cert: certInput } : { fingerprint: input.fingerprint as string },
      expectedX5tS256: expected,
      caBundlePem: input.caBundlePem ?? null,
      crls: input.crls ?? null,
    },
    { now },
  );
  let checks = r.checks;
  let reason = r.reason;
  // A token was given but is not certificate-bound: there is nothing to bind the cert to.
  if (token && !input.x5t && cnf && !cnf.x5t) {
    const bindingCheck: BindingCheck = { name: 'token_bound', ok: false, detail: `token is ${cnf.binding}-bound, not certificate-bound (no cnf x5t#S256)` };
    checks = [bindingCheck, ...checks];
    reason = 'no_cnf';
  } else if (token && !input.x5t && !cnf) {
    checks = [{ name: 'token_bound', ok: true, skipped: true, detail: 'opaque token: pass its cnf x5t#S256 from introspection' }, ...checks];
  }
  return {
    ok: reason === null,
    reason,
    x5tS256: r.x5tS256 ?? '',
    checks,
    explanation: explainMtls(reason),
    tokenFingerprint: token ? fingerprintToken(token) : null,
    tokenBinding: cnf?.binding ?? null,
  };
}


