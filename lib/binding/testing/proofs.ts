// Test-only: hand-built DPoP proofs for the fault cases real clients will not produce
// (wrong typ, alg none, private key in jwk). Keys are generated at runtime.
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto';

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
