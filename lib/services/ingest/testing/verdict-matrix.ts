// Test-only: the verdict matrix of issue #16 — every client certificate kind the NGINX test gateway
// offers (nginx-gateway.ts) × every kind of token a client presents — and the verdict the test
// knows is right for each request. Used by real-peers.test.ts and by measure-verdict-agreement.ts
// (the before/after agreement rate on a larger run).
import { generateProof, type KeyPair } from 'dpop';
import type { ClientCert } from './nginx-gateway.ts';

/** What each token is and how the test client presents it. */
export type MatrixToken = 'mtls-bound' | 'dpop-bound' | 'dpop-stolen' | 'bearer' | 'unbound-dpop-scheme' | 'expired';
export const MATRIX_TOKENS: readonly MatrixToken[] = ['mtls-bound', 'dpop-bound', 'dpop-stolen', 'bearer', 'unbound-dpop-scheme', 'expired'];

/**
 * What the gateway's own verification says of each bad certificate (CA with a CRL), exactly as
 * NGINX 1.22 on OpenSSL 3 logs it (lib/ingest/nginx-real.test.ts pins the texts), and the verdict
 * that must follow, whatever the token.
 */
export const CERT_FAILURES: Partial<Record<ClientCert, { verdict: string; reason: string }>> = {
  revoked: { verdict: 'cert_revoked', reason: 'certificate revoked' },
  expired: { verdict: 'cert_expired', reason: 'certificate has expired' },
  notyet: { verdict: 'cert_expired', reason: 'certificate is not yet valid' },
  untrusted: { verdict: 'cert_untrusted', reason: 'unable to verify the first certificate' },
  selfsigned: { verdict: 'cert_untrusted', reason: 'unable to get certificate CRL' },
  chain: { verdict: 'cert_untrusted', reason: 'unable to get certificate CRL' },
  intermediate: { verdict: 'cert_untrusted', reason: 'unable to get certificate CRL' },
  purpose: { verdict: 'cert_untrusted', reason: 'unsuitable certificate purpose' },
  forged: { verdict: 'cert_untrusted', reason: 'certificate signature failure' },
};

export interface ExpectedVerdict {
  verdict: string;
  reason: string | null;
  /** What the gateway answers: 400 for a certificate it failed, 200 otherwise (it checks no token). */
  status: number;
}

/**
 * The verdict for one request of the matrix. A failed certificate decides, whatever the token;
 * then an expired token; then the token's binding against what the request presented.
 */
export function expectedVerdict(cert: ClientCert | null, token: MatrixToken): ExpectedVerdict {
  const failed = cert ? CERT_FAILURES[cert] : undefined;
  if (failed) return { ...failed, status: 400 };
  const ok = (verdict: string, reason: string | null): ExpectedVerdict => ({ verdict, reason, status: 200 });
  switch (token) {
    case 'mtls-bound':
      return cert === 'good' ? ok('ok', null) : ok('bound_not_enforced', cert ? 'x5t_mismatch' : 'no_certificate');
    case 'dpop-bound':
      return ok('ok', null);
    case 'dpop-stolen':
      return ok('bound_not_enforced', 'jkt_mismatch');
    case 'bearer':
    case 'unbound-dpop-scheme':
      return ok('bearer_unbound', null);
    case 'expired':
      return ok('token_expired', 'accepted_after_expiry');
  }
}

/** The binding each token must be stored with, whatever certificate it came with. */
export const MATRIX_BINDING: Record<MatrixToken, 'mtls' | 'dpop' | 'bearer'> = {
  'mtls-bound': 'mtls', 'dpop-bound': 'dpop', 'dpop-stolen': 'dpop', bearer: 'bearer', 'unbound-dpop-scheme': 'bearer', expired: 'mtls',
};

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const fakeJwt = (claims: Record<string, unknown>) => `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u(claims)}.ZmFrZS1zaWduYXR1cmU`;

export interface MatrixClient {
  tokens: Record<MatrixToken, string>;
  /** The DPoP key the authorization server bound `dpop-bound` to. */
  keys: KeyPair;
  /** A thief's key: holds the token, not its key. */
  otherKeys: KeyPair;
}

/**
 * The matrix's tokens: the AS's own DPoP-bound and bearer tokens, and JWTs for what a test AS
 * does not issue on demand (bound to the gateway's `good` certificate; no cnf; long expired).
 */
export function matrixTokens(issuer: string, goodX5t: string, dpopToken: string, bearerToken: string): Record<MatrixToken, string> {
  return {
    'mtls-bound': fakeJwt({ iss: issuer, sub: 'svc-matrix', client_id: 'svc-matrix', jti: 'matrix-mtls', exp: 4_000_000_000, cnf: { 'x5t#S256': goodX5t } }),
    'dpop-bound': dpopToken,
    'dpop-stolen': dpopToken,
    bearer: bearerToken,
    'unbound-dpop-scheme': fakeJwt({ iss: issuer, sub: 'svc-plain', client_id: 'svc-plain', jti: 'matrix-plain', exp: 4_000_000_000 }),
    expired: fakeJwt({ iss: issuer, sub: 'svc-matrix', client_id: 'svc-matrix', jti: 'matrix-expired', iat: 1_700_000_000, exp: 1_700_003_600, cnf: { 'x5t#S256': goodX5t } }),
  };
}

/** The headers a client sends with `token` for the request to `path` (a fresh proof each time). */
export async function presentToken(client: MatrixClient, token: MatrixToken, path: string): Promise<Record<string, string>> {
  const t = client.tokens[token];
  const url = `https://api.test${path.replace(/[?#].*$/, '')}`;
  switch (token) {
    case 'dpop-bound':
      return { authorization: `DPoP ${t}`, dpop: await generateProof(client.keys, url, 'GET', undefined, t) };
    case 'dpop-stolen':
      return { authorization: `DPoP ${t}`, dpop: await generateProof(client.otherKeys, url, 'GET', undefined, t) };
    case 'unbound-dpop-scheme': // a proof and the DPoP scheme cannot bind a token its issuer did not bind
      return { authorization: `DPoP ${t}`, dpop: await generateProof(client.keys, url, 'GET', undefined, t) };
    default:
      return { authorization: `Bearer ${t}` };
  }
}
