// The real caddy (Debian's package, 2.6) as a TLS-terminating edge in front of a real Caddy backend
// on plain HTTP, the way owners write it: `header_up Client-Cert {http.request.tls.client.certificate_der_base64}`
// (bare base64 DER, without RFC 9440's colons) and `log_credentials` on. The backend's own log,
// parsed by the `caddy` format, must give the certificate the edge forwarded and, for DPoP, the URL
// the client called (the edge's https scheme and host, from X-Forwarded-Proto/-Host).
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { computeJwkThumbprint } from '../binding/jwk-thumbprint.ts';
import { ath, ecKey, makeProof, type TestKey } from '../binding/testing/proofs.ts';
import { hopVerdict } from '../hops/hop-verdict.ts';
import { findCaddy, startCaddy, type CaddyProcess } from '../testing/caddy.ts';
import { createGatewayPki, tlsRequest, type ClientName, type GatewayPki } from '../testing/gateway-pki.ts';
import { freePort } from '../testing/processes.ts';
import { openParseStream } from './parse-stream.ts';

const CADDY = findCaddy();
const IN_CI = process.env.CI === 'true';
if (!CADDY && !IN_CI) console.warn('caddy-proxy-real.test.ts: skipped — caddy is not installed (apt-get install -y caddy); set CI=true to make this a failure');
const describeCaddy = CADDY || IN_CI ? describe : describe.skip;

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const token = (name: string, cnf: Record<string, string>) => `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: `caller-${name}`, jti: name, cnf })}.c2lnLW5vdC1yZWFs`;

describeCaddy('real Caddy edge → real Caddy backend: what the backend log says', () => {
  let pki: GatewayPki;
  let caddy: CaddyProcess | null = null;
  let edgePort = 0;
  const events: { edge: NormalizedEvent[]; backend: NormalizedEvent[] } = { edge: [], backend: [] };
  let owner: TestKey;
  let thief: TestKey;
  const at = (log: 'edge' | 'backend', name: string) => events[log].find((e) => e.url?.endsWith(`/case/${name}`))!;

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed: apt-get install -y caddy');
    pki = createGatewayPki('holdfast-caddy-proxy-');
    mkdirSync(join(pki.dir, 'logs'));
    edgePort = await freePort();
    const backendPort = await freePort();
    owner = ecKey();
    thief = ecKey();
    const caddyfile = `{
  admin off
  auto_https off
  storage file_system ${pki.dir}/caddy-data
  default_bind 127.0.0.1
  servers {
    protocols h1 h2
    log_credentials
  }
}
https://api.test:${edgePort} {
  tls ${pki.serverCertPath} ${pki.serverKeyPath} {
    client_auth {
      mode verify_if_given
      trusted_ca_cert_file ${pki.caPath}
    }
  }
  log {
    output file ${pki.dir}/logs/edge.json
    format json
  }
  reverse_proxy 127.0.0.1:${backendPort} {
    header_up Client-Cert {http.request.tls.client.certificate_der_base64}
  }
}
http://:${backendPort} {
  log {
    output file ${pki.dir}/logs/backend.json
    format json
  }
  respond "backend ok" 200
}
`;
    caddy = await startCaddy(CADDY, pki.dir, caddyfile, [edgePort, backendPort]);
    const mtls = (name: string, client: ClientName | null, boundTo: ClientName) =>
      tlsRequest(pki, { port: edgePort, path: `/case/${name}`, client, headers: { Authorization: `Bearer ${token(name, { 'x5t#S256': pki.clients[boundTo].x5t })}` } });
    const dpop = (name: string, signer: TestKey) => {
      const t = token(name, { jkt: computeJwkThumbprint(owner.publicJwk) });
      const proof = makeProof(signer, { htm: 'GET', htu: `https://api.test:${edgePort}/case/${name}`, ath: ath(t) });
      return tlsRequest(pki, { port: edgePort, path: `/case/${name}`, client: null, headers: { Authorization: `DPoP ${t}`, DPoP: proof } });
    };
    for (const r of [mtls('good', 'good', 'good'), mtls('stolen', 'other', 'good'), mtls('nocert', null, 'good'), dpop('dpop-good', owner), dpop('dpop-thief', thief)]) {
      expect((await r).status).toBe(200);
    }
    await caddy.stop();
    caddy = null;
    for (const log of ['edge', 'backend'] as const) {
      const { format, results } = await openParseStream(createReadStream(join(pki.dir, 'logs', `${log}.json`)), {});
      expect(format).toBe('caddy');
      for await (const r of results) {
        if (r.result.kind !== 'event') throw new Error(`${log}.json line ${r.lineNo}: ${JSON.stringify(r.result)}`);
        events[log].push(r.result.event);
      }
    }
  }, 90_000);

  afterAll(async () => {
    await caddy?.stop();
    pki?.cleanup();
  });

  it('bare base64 DER in Client-Cert is the certificate the client presented at the edge', () => {
    for (const [name, client] of [['good', 'good'], ['stolen', 'other']] as const) {
      const e = at('backend', name);
      expect(e.forwardedCert?.x5tS256, name).toBe(pki.clients[client].x5t);
      expect(e.forwardedCert?.subjectDn, name).toBe(pki.clients[client].subject);
      expect(e.labels ?? {}, name).not.toHaveProperty('forwarded_cert_error.client-cert');
    }
  });

  it('no client certificate: Caddy forwards its placeholder unreplaced, read as nothing forwarded (no error)', () => {
    const e = at('backend', 'nocert');
    expect(e.redactedRaw).toContain('{http.request.tls.client.certificate_der_base64}');
    expect(e.forwardedCert).toBeNull();
    expect(e.labels ?? {}).not.toHaveProperty('forwarded_cert_error.client-cert');
  });

  it('the backend judges the binding on the forwarded certificate: ok for the owner, x5t_mismatch for the thief, no_certificate without one', async () => {
    const verdicts = await Promise.all(['good', 'stolen', 'nocert'].map(async (n) => {
      const d = await hopVerdict(at('backend', n), null);
      return [n, d.verdict, d.reason];
    }));
    expect(verdicts).toEqual([
      ['good', 'ok', null],
      ['stolen', 'bound_not_enforced', 'x5t_mismatch'],
      ['nocert', 'bound_not_enforced', 'no_certificate'],
    ]);
  });

  it('DPoP behind the edge: the backend URL is the one the client called (X-Forwarded-Proto/-Host), so a valid proof is ok and a thief is jkt_mismatch, not htu', async () => {
    const good = at('backend', 'dpop-good');
    expect(good.url).toBe(`https://api.test:${edgePort}/case/dpop-good`);
    expect(good.redactedRaw).toContain('"X-Forwarded-Proto":["https"]');
    expect(await hopVerdict(good, null)).toMatchObject({ verdict: 'ok', reason: null });
    expect(await hopVerdict(at('backend', 'dpop-thief'), null)).toMatchObject({ verdict: 'bound_not_enforced', reason: 'jkt_mismatch' });
    // The edge, where TLS ended, judges the same.
    expect(await hopVerdict(at('edge', 'dpop-good'), null)).toMatchObject({ verdict: 'ok', reason: null });
  });
});
