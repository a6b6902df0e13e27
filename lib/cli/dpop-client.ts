// `--dpop-key FILE` (or HOLDFAST_DPOP_KEY_FILE): the CLI's side of DPoP-bound API keys. Every
// request to --server carries `Authorization: DPoP <key>` and a fresh RFC 9449 proof signed with
// the private key in FILE (PEM PKCS#8 / SEC1 / PKCS#1, or a private JWK): jti, htm, htu (the URL
// without query and fragment), iat, ath (SHA-256 of the API key) and, once the server has
// handed one out, its DPoP nonce (RFC 9449 §8; see remote.ts). The private key stays in this
// process; only its public JWK travels, in the proof header.
import { constants, createHash, createPrivateKey, createPublicKey, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { computeJwkThumbprint, jwkThumbprintInput } from '../binding/jwk-thumbprint.ts';
import { HoldfastError } from '../errors.ts';

export interface DpopSigner {
  /** RFC 7638 thumbprint of the public key (what `apikey create --dpop-jkt` binds to). */
  jkt: string;
  alg: string;
  /** The server's latest DPoP nonce (RFC 9449 §8), sent in every proof once known. */
  nonce: string | null;
  /** A new proof for one request (with `nonce` when given). */
  proof(method: string, url: string, accessToken: string, nowSeconds?: number, nonce?: string | null): string;
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

function algFor(key: KeyObject): { alg: string; hash: string | null; dsa?: 'ieee-p1363'; pss?: boolean } {
  const type = key.asymmetricKeyType;
  if (type === 'ec') {
    const crv = key.asymmetricKeyDetails?.namedCurve;
    if (crv === 'prime256v1') return { alg: 'ES256', hash: 'sha256', dsa: 'ieee-p1363' };
    if (crv === 'secp384r1') return { alg: 'ES384', hash: 'sha384', dsa: 'ieee-p1363' };
    if (crv === 'secp521r1') return { alg: 'ES512', hash: 'sha512', dsa: 'ieee-p1363' };
    throw new HoldfastError('bad_request', `--dpop-key: EC curve ${crv ?? '?'} is not one DPoP allows (P-256, P-384, P-521)`);
  }
  if (type === 'ed25519') return { alg: 'EdDSA', hash: null };
  if (type === 'rsa') {
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new HoldfastError('bad_request', '--dpop-key: RSA keys must have at least 2048 bits');
    return { alg: 'PS256', hash: 'sha256', pss: true };
  }
  throw new HoldfastError('bad_request', `--dpop-key: ${type ?? 'this'} key type is not supported (use EC P-256, Ed25519 or RSA)`);
}

/** Loads the private key from a key file's text; never echoes key material in errors. */
export function loadDpopSigner(text: string): DpopSigner {
  let privateKey: KeyObject;
  try {
    const trimmed = text.trim();
    privateKey = trimmed.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(trimmed) as JsonWebKey, format: 'jwk' })
      : createPrivateKey(trimmed);
  } catch {
    throw new HoldfastError('bad_request', '--dpop-key: not a private key (PEM or private JWK expected)');
  }
  const spec = algFor(privateKey);
  // The proof header carries the public key's RFC 7638 members only (the same JSON the thumbprint hashes).
  const publicMembers = jwkThumbprintInput(createPublicKey(privateKey).export({ format: 'jwk' }));
  const jkt = computeJwkThumbprint(JSON.parse(publicMembers));
  const header = b64url(`{"typ":"dpop+jwt","alg":${JSON.stringify(spec.alg)},"jwk":${publicMembers}}`);
  return {
    jkt,
    alg: spec.alg,
    nonce: null,
    proof(method, url, accessToken, nowSeconds = Math.floor(Date.now() / 1000), nonce = null) {
      const u = new URL(url);
      const htu = `${u.protocol}//${u.host}${u.pathname}`;
      const ath = createHash('sha256').update(accessToken).digest('base64url');
      const claims: Record<string, unknown> = { jti: randomUUID(), htm: method.toUpperCase(), htu, iat: nowSeconds, ath };
      if (nonce) claims.nonce = nonce;
      const payload = b64url(JSON.stringify(claims));
      const input = Buffer.from(`${header}.${payload}`);
      const sig = spec.pss
        ? sign(spec.hash, input, { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
        : spec.dsa
          ? sign(spec.hash, input, { key: privateKey, dsaEncoding: spec.dsa })
          : sign(spec.hash, input, privateKey);
      return `${header}.${payload}.${sig.toString('base64url')}`;
    },
  };
}

/** Authorization (and DPoP) headers for one request to the server. */
export function authHeaders(remote: { apiKey: string; dpop?: DpopSigner | null }, method: string, url: URL | string): Record<string, string> {
  if (!remote.dpop) return { authorization: `Bearer ${remote.apiKey}` };
  return { authorization: `DPoP ${remote.apiKey}`, dpop: remote.dpop.proof(method, String(url), remote.apiKey, undefined, remote.dpop.nonce) };
}
