import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { bindingOfClaims, classifyToken } from './classify-token.ts';
import { BindingError } from './errors.ts';
import { fingerprintToken } from '../credentials/fingerprint.ts';

const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const X5T = 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg0';
const NOW = 1_700_000_000_000;
const now = () => NOW;

async function codeOf(p: Promise<unknown>): Promise<string | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return e instanceof BindingError ? e.code : 'not-a-BindingError';
  }
}

async function issuer() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' }).sign(privateKey);
  return { jwks: { keys: [jwk] }, sign };
}

describe('classifyToken from a JWT', () => {
  it.each([
    ['dpop', { jkt: JKT }, JKT, null],
    ['mtls', { 'x5t#S256': X5T }, null, X5T],
    ['bearer', undefined, null, null],
  ] as const)('classifies %s from cnf', async (binding, cnf, jkt, x5t) => {
    const { sign } = await issuer();
    const token = await sign({ iss: 'https://as', sub: 'svc', aud: ['api'], scope: 'read write', jti: 'j1', iat: 1_699_999_000, exp: 1_700_000_600, client_id: 'c1', ...(cnf ? { cnf } : {}) });
    const c = await classifyToken({ kind: 'jwt', token }, { now });
    expect(c).toMatchObject({
      binding, cnfJkt: jkt, cnfX5tS256: x5t, bindingAnomaly: false, issuer: 'https://as', subject: 'svc', clientId: 'c1',
      audience: ['api'], scopes: ['read', 'write'], jti: 'j1', ttlSeconds: 1600, secondsLeft: 600, expired: false, signature: 'not_checked',
    });
    expect(c.fingerprint).toBe(fingerprintToken(token));
    expect(JSON.stringify(c)).not.toContain(token);
  });

  it('reports a token carrying both cnf.jkt and cnf x5t#S256 as an anomaly, not as either binding', async () => {
    const { sign } = await issuer();
    const token = await sign({ cnf: { jkt: JKT, 'x5t#S256': X5T } });
    const c = await classifyToken({ kind: 'jwt', token }, { now });
    expect(c).toMatchObject({ binding: 'bearer', bindingAnomaly: true, anomaly: 'cnf_both_jkt_and_x5t', cnfJkt: JKT, cnfX5tS256: X5T });
  });

  it('flags a non-canonical cnf x5t#S256 (the RFC 8705 example) as cnf_malformed', async () => {
    const { sign } = await issuer();
    const token = await sign({ cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } });
    const c = await classifyToken({ kind: 'jwt', token }, { now });
    expect(c).toMatchObject({ binding: 'bearer', anomaly: 'cnf_malformed', cnfX5tS256: null });
  });

  it('verifies the signature with a configured JWKS', async () => {
    const a = await issuer();
    const b = await issuer();
    const token = await a.sign({ cnf: { jkt: JKT } });
    expect((await classifyToken({ kind: 'jwt', token }, { now, verification: { jwks: a.jwks } })).signature).toBe('verified');
    expect((await classifyToken({ kind: 'jwt', token }, { now, verification: { jwks: b.jwks } })).signature).toBe('invalid');
  });

  it('marks an expired token with negative secondsLeft', async () => {
    const { sign } = await issuer();
    const token = await sign({ iat: 1_699_990_000, exp: 1_699_999_000 });
    expect(await classifyToken({ kind: 'jwt', token }, { now })).toMatchObject({ expired: true, secondsLeft: -1000, ttlSeconds: 9000 });
  });

  it.each([
    ['an opaque token', 'jwt_malformed', 'abc123'],
    ['a JWE', 'jwt_malformed', 'a.b.c.d.e'],
    ['non-JSON claims', 'jwt_malformed', 'eyJhbGciOiJub25lIn0.bm90IGpzb24.'],
  ])('rejects %s with %s', async (_n, code, token) => {
    expect(await codeOf(classifyToken({ kind: 'jwt', token }))).toBe(code);
  });
});

describe('classifyToken from an RFC 7662 introspection response', () => {
  it('classifies a DPoP token from cnf.jkt and token_type DPoP', async () => {
    const c = await classifyToken({ kind: 'introspection', response: { active: true, token_type: 'DPoP', cnf: { jkt: JKT }, scope: 'a b', exp: 1_700_000_060, iat: 1_700_000_000 } }, { now });
    expect(c).toMatchObject({ binding: 'dpop', cnfJkt: JKT, active: true, tokenType: 'DPoP', scopes: ['a', 'b'], ttlSeconds: 60, fingerprint: null });
  });

  it('classifies an mTLS token from the top-level cnf (RFC 8705 §3.2)', async () => {
    const c = await classifyToken({ kind: 'introspection', response: { active: true, cnf: { 'x5t#S256': X5T } }, token: 'raw' }, { now });
    expect(c).toMatchObject({ binding: 'mtls', cnfX5tS256: X5T, fingerprint: fingerprintToken('raw') });
  });

  it('keeps active:false for a revoked token', async () => {
    expect((await classifyToken({ kind: 'introspection', response: { active: false } })).active).toBe(false);
  });

  it.each([
    ['an array', 'introspection_invalid', []],
    ['no active member', 'introspection_invalid', { scope: 'x' }],
    ['active as a string', 'introspection_invalid', { active: 'true' }],
  ])('rejects %s with %s', async (_n, code, response) => {
    expect(await codeOf(classifyToken({ kind: 'introspection', response }))).toBe(code);
  });
});

describe('classifyToken from an inventory row', () => {
  it('takes the binding from cnf members and drops the raw token for its fingerprint', async () => {
    const c = await classifyToken({ kind: 'inventory', row: { token: 'raw-secret', x5tS256: X5T, issuer: 'https://as', expiresAt: '2023-11-14T22:13:20Z', issuedAt: '2023-11-14T21:13:20Z' } }, { now });
    expect(c).toMatchObject({ binding: 'mtls', fingerprint: fingerprintToken('raw-secret'), ttlSeconds: 3600, secondsLeft: 0 });
    expect(JSON.stringify(c)).not.toContain('raw-secret');
  });

  it('uses a declared binding when the row has no cnf', async () => {
    expect((await classifyToken({ kind: 'inventory', row: { binding: 'dpop' } })).binding).toBe('dpop');
  });

  it('flags a declared binding that contradicts cnf', async () => {
    const c = await classifyToken({ kind: 'inventory', row: { binding: 'bearer', jkt: JKT } });
    expect(c).toMatchObject({ binding: 'dpop', anomaly: 'declared_binding_conflict', bindingAnomaly: true });
  });

  it('rejects an unknown declared binding with inventory_invalid', async () => {
    expect(await codeOf(classifyToken({ kind: 'inventory', row: { binding: 'magic' } }))).toBe('inventory_invalid');
  });
});

// Issue #16: the ingest pipeline decided a token's binding its own way (the DPoP scheme made a
// token DPoP-bound; jkt won over x5t#S256). bindingOfClaims is the one rule; this is its table.
describe('bindingOfClaims', () => {
  it.each([
    ['cnf.jkt', { cnf: { jkt: JKT } }, { binding: 'dpop', cnfJkt: JKT, cnfX5tS256: null, anomaly: null, bindingAnomaly: false }],
    ['cnf x5t#S256', { cnf: { 'x5t#S256': X5T } }, { binding: 'mtls', cnfJkt: null, cnfX5tS256: X5T, anomaly: null, bindingAnomaly: false }],
    ['no cnf', { sub: 'svc' }, { binding: 'bearer', cnfJkt: null, cnfX5tS256: null, anomaly: null, bindingAnomaly: false }],
    ['both jkt and x5t#S256', { cnf: { jkt: JKT, 'x5t#S256': X5T } }, { binding: 'bearer', cnfJkt: JKT, cnfX5tS256: X5T, anomaly: 'cnf_both_jkt_and_x5t', bindingAnomaly: true }],
    ['a jkt that is not a thumbprint', { cnf: { jkt: 'abc' } }, { binding: 'bearer', cnfJkt: null, cnfX5tS256: null, anomaly: 'cnf_malformed', bindingAnomaly: true }],
    ['cnf as a string', { cnf: JKT }, { binding: 'bearer', cnfJkt: null, cnfX5tS256: null, anomaly: 'cnf_malformed', bindingAnomaly: true }],
    ['no claims at all', null, { binding: 'bearer', cnfJkt: null, cnfX5tS256: null, anomaly: null, bindingAnomaly: false }],
  ] as const)('%s → %o', (_name, claims, expected) => {
    expect(bindingOfClaims(claims)).toEqual(expected);
  });

  it('agrees with classifyToken for a JWT and an introspection response carrying both members', async () => {
    const { sign } = await issuer();
    const claims = { cnf: { jkt: JKT, 'x5t#S256': X5T } };
    const fromJwt = await classifyToken({ kind: 'jwt', token: await sign(claims) });
    const fromIntrospection = await classifyToken({ kind: 'introspection', response: { active: true, ...claims } });
    for (const c of [fromJwt, fromIntrospection]) {
      expect({ binding: c.binding, anomaly: c.anomaly, bindingAnomaly: c.bindingAnomaly }).toEqual({ binding: 'bearer', anomaly: 'cnf_both_jkt_and_x5t', bindingAnomaly: true });
    }
  });
});
