// Test-only: hand-built DPoP proofs for the fault cases real clients will not produce
// (wrong typ, alg none, private key in jwk). Keys are generated at runtime.
import { createHash, createHmac, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

export interface TestKey {
  privateKey: KeyObject;
  publicJwk: Record<string, string>;
  privateJwk: Record<string, string>;
}

export function ecKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey,
    publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, string>,
    privateJwk: privateKey.export({ format: 'jwk' }) as Record<string, string>,
  };
}

const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');

export function ath(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

/** Signs an ES256 (or RS256) proof with arbitrary header/claims overrides. */
export function makeProof(
  key: TestKey,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = {},
  signAs: 'ES256' | 'RS256' = 'ES256',
): string {
  const h = b64({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk, ...header });
  const p = b64({ jti: randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims });
  const sig = signAs === 'RS256'
    ? sign('sha256', Buffer.from(`${h}.${p}`), key.privateKey)
    : sign('sha256', Buffer.from(`${h}.${p}`), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${h}.${p}.${sig.toString('base64url')}`;
}

/** The algorithm an attacker puts on a re-headed proof, and what becomes of the header's key. */
export interface ForgeAlgOptions {
  alg: unknown;
  /** Keep the proof's own public jwk (default), drop it, or put a symmetric (oct) key there. */
  jwk?: 'keep' | 'drop' | 'oct';
}

/**
 * Re-heads a real client's proof the way an attacker does: same claims, the header's `alg`
 * replaced, and signed accordingly — `none` unsigned (empty signature, RFC 7519 §6), `HS*` with
 * HMAC under a key of the attacker's choosing, anything else with garbage.
 */
export function forgeAlg(proof: string, opts: ForgeAlgOptions): string {
  const [h, p] = proof.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>;
  const secret = Buffer.from('attacker-chosen-hmac-secret-0123456789');
  const jwk = opts.jwk ?? 'keep';
  if (jwk === 'drop') delete header.jwk;
  if (jwk === 'oct') header.jwk = { kty: 'oct', k: secret.toString('base64url') };
  header.alg = opts.alg;
  const h2 = b64(header);
  const input = `${h2}.${p}`;
  if (opts.alg === 'none') return `${input}.`;
  const m = typeof opts.alg === 'string' ? /^HS(256|384|512)$/.exec(opts.alg) : null;
  const sig = m ? createHmac(`sha${m[1]}`, secret).update(input).digest() : Buffer.from('not-a-signature-for-an-unknown-alg');
  return `${input}.${sig.toString('base64url')}`;
}
