// Writes the real-NGINX part of the storage differential test's input (run once; the output is
// committed, because the answers recorded for the legacy storage belong to exactly this input):
//   npx tsx lib/services/evidence/testing/capture-nginx-fixture.ts
// A real NGINX mTLS gateway (test CA + CRL, lib/services/ingest/testing/nginx-gateway.ts) is driven
// by real TLS clients with good, mismatched, revoked, expired, untrusted and missing certificates
// and mTLS-bound, DPoP-bound, bearer, expired and privileged tokens. The tokens are test JWTs signed
// with a throwaway key made here (never real credentials); an RFC 7662 introspection dump states
// their binding. Output: nginx-mtls.jsonl (NGINX's own log), introspection.jsonl, meta.json.
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, SignJWT } from 'jose';
import { findNginx, startNginxGateway, type ClientCert } from '../../ingest/testing/nginx-gateway.ts';

const out = path.dirname(fileURLToPath(import.meta.url));
const nginx = findNginx();
if (!nginx) throw new Error('nginx is not installed');
const gw = await startNginxGateway(nginx);
const { privateKey } = await generateKeyPair('ES256');
const nowS = Math.floor(Date.now() / 1000);
const jwt = (claims: Record<string, unknown>) =>
  new SignJWT({ iss: 'https://as.test', aud: 'https://api.test', iat: nowS - 60, jti: `jti-${Math.random().toString(36).slice(2)}`, ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' })
    .sign(privateKey);
const tokens = {
  mtls: await jwt({ sub: 'svc-a', client_id: 'svc-a', exp: nowS + 7200, scope: 'orders:read', cnf: { 'x5t#S256': gw.certs.good.x5t } }),
  dpop: await jwt({ sub: 'svc-f', client_id: 'svc-f', exp: nowS + 7200, scope: 'orders:read', cnf: { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' } }),
  bearer: await jwt({ sub: 'svc-g', client_id: 'svc-g', exp: nowS + 7200, scope: 'orders:read' }),
  privileged: await jwt({ sub: 'svc-h', client_id: 'svc-h', exp: nowS + 7200, scope: 'admin:all' }),
  expired: await jwt({ sub: 'svc-i', client_id: 'svc-i', exp: nowS - 600, scope: 'orders:read' }),
};
const introspection = Object.entries(tokens).map(([, token]) => {
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  return JSON.stringify({ active: (claims.exp as number) > nowS, token, ...claims });
});
writeFileSync(path.join(out, 'introspection.jsonl'), introspection.join('\n') + '\n');

const certs: Array<ClientCert | null> = ['good', 'other', 'revoked', 'expired', 'untrusted', null];
const auth: Array<[string, Record<string, string>]> = [
  ['mtls', { authorization: `Bearer ${tokens.mtls}` }],
  ['dpop-no-proof', { authorization: `DPoP ${tokens.dpop}` }],
  ['dpop-bearer-scheme', { authorization: `Bearer ${tokens.dpop}` }],
  ['bearer', { authorization: `Bearer ${tokens.bearer}` }],
  ['privileged', { authorization: `Bearer ${tokens.privileged}` }],
  ['expired', { authorization: `Bearer ${tokens.expired}` }],
  ['none', {}],
];
let n = 0;
for (let round = 0; round < 3; round++) {
  for (const cert of certs) for (const [, headers] of auth) {
    await gw.request(`/v1/orders/${1000 + n}?round=${round}`, cert, headers);
    n++;
  }
}
// Steady legitimate traffic: the mTLS-bound token with its own certificate, and the bearer one.
for (let i = 0; i < 250; i++) {
  await gw.request(`/v1/orders/${i}`, 'good', { authorization: `Bearer ${tokens.mtls}` });
  if (i % 5 === 0) await gw.request(`/v1/payments/${i}`, null, { authorization: `Bearer ${tokens.bearer}` });
}
const logs = await gw.stop();
copyFileSync(logs.json, path.join(out, 'nginx-mtls.jsonl'));
writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ capturedAt: new Date().toISOString(), nginx: 'Debian nginx 1.22', requests: n + 300 }, null, 2) + '\n');
gw.cleanup();
console.log(`wrote ${n + 300} requests to ${out}`);
