// Test-only: NGINX JSON lines of one client calling with a DPoP-bound JWT and real ES256 proofs
// (lib/binding/testing/proofs.ts), two minutes ago, for the replay tests of proofs-seen.
import { randomUUID } from 'node:crypto';
import { thumbprintJwk } from '../../../binding/jwk-thumbprint.ts';
import { ath, ecKey, makeProof } from '../../../binding/testing/proofs.ts';

export interface DpopClient {
  /** A proof for GET https://api.test/orders, `dt` seconds after the client's first request. */
  proof(dt?: number): string;
  /** One logged request: its id, time (ms after the first), status and proof. */
  line(requestId: string, dtMs: number, status: number, proof: string): string;
}

export function dpopClient(sub: string): DpopClient {
  const key = ecKey();
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const token = `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({
    iss: 'https://as.test', sub, client_id: sub, jti: randomUUID(), exp: 4_000_000_000, cnf: { jkt: thumbprintJwk(JSON.stringify(key.publicJwk)).jkt },
  })}.c2ln`;
  const at = Math.floor(Date.now() / 1000) * 1000 - 120_000;
  return {
    proof: (dt = 0) => makeProof(key, { htm: 'GET', htu: 'https://api.test/orders', iat: at / 1000 + dt, ath: ath(token) }),
    line: (requestId, dtMs, status, proof) =>
      JSON.stringify({
        time: new Date(at + dtMs).toISOString().replace(/\.\d{3}Z$/, '+00:00'), request_id: requestId, remote_addr: '10.0.0.5', method: 'GET', scheme: 'https',
        host: 'api.test', uri: '/orders', status, ssl_client_verify: 'NONE', authz_scheme: 'DPoP', has_dpop: '1', http_dpop: proof, http_authorization: `DPoP ${token}`,
      }),
  };
}
