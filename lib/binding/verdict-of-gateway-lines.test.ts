// Verdicts of lines real gateways wrote (testing/gateway-lines: the black-box runs' NGINX 1.22,
// Apache 2.4 and HAProxy 2.6 logs, unedited but for the time of the lines in the recommended HAProxy
// format: logged as `%tr`, rewritten as `%trl` prints it on that UTC machine (`[… +0000]`, as rec.cfg
// now says); their test tokens and proofs expired long ago and are
// judged at the logged time), read through the owner's own log format as `holdfast ingest` reads them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NormalizedEvent } from '../domain/types.ts';
import { openParseStream } from '../ingest/parse-stream.ts';
import { decideVerdict } from './decide-verdict.ts';
import { MemoryReplayStore } from './replay-store.ts';

const file = (name: string) => readFileSync(new URL(`./testing/gateway-lines/${name}`, import.meta.url), 'utf8');

// The formats as the gateways' configurations declared them (the rest of those files is TLS setup).
const APACHE_A_COMBO = String.raw`LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{SSL_CLIENT_VERIFY}x\" \"%{SSL_CLIENT_S_DN}x\" %{SSL_CLIENT_M_SERIAL}x \"%{Authorization}i\"" a_combo`;
const APACHE_AUTHDPOP = String.raw`LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\" \"%{Authorization}i\" \"%{DPoP}i\"" authdpop`;
const NGINX_SHA1_ONLY = `http { log_format f_sha1only '$remote_addr [$time_local] "$request" $status $ssl_client_verify $ssl_client_fingerprint "$http_authorization"'; }`;

async function verdicts(log: string, gateway: 'nginx' | 'apache' | 'haproxy', gatewayConfig: string, logFormat?: string) {
  const s = await openParseStream([Buffer.from(log)], { format: gateway, gatewayConfig, logFormat });
  const events: NormalizedEvent[] = [];
  for await (const { result } of s.results) {
    if (result.kind === 'error') throw new Error(result.message);
    if (result.kind === 'event') events.push(result.event);
  }
  // One replay store for the file, as one ingest batch has.
  const deps = { replayStore: new MemoryReplayStore() };
  const out: Array<[string, string | null]> = [];
  for (const ev of events) {
    const d = await decideVerdict(ev, null, deps);
    out.push([d.verdict, d.reason]);
  }
  return { verdicts: out, warnings: s.compiled?.warnings ?? [] };
}

describe('a gateway that ended TLS and logs the client certificate without a thumbprint that gives x5t#S256', () => {
  // Nothing was stripped: there is no proxy. The certificate-bound token is not judged.
  it('Apache SSL_CLIENT_VERIFY, DN and serial only: ok / certificate_not_logged, with a compile warning', async () => {
    const r = await verdicts(file('apache-no-thumbprint.log'), 'apache', APACHE_A_COMBO, 'a_combo');
    expect(r.verdicts).toEqual([['ok', 'certificate_not_logged'], ['ok', 'certificate_not_logged']]);
    expect(r.warnings).toEqual(expect.arrayContaining([expect.stringMatching(/no certificate fingerprint or PEM that gives x5t#S256.*certificate_not_logged/)]));
  });

  it("NGINX $ssl_client_fingerprint (SHA-1) only: ok / certificate_not_logged, with a compile warning that a SHA-1 cannot be compared", async () => {
    const r = await verdicts(file('nginx-sha1-only.log'), 'nginx', NGINX_SHA1_ONLY);
    expect(r.verdicts).toEqual([['ok', 'certificate_not_logged'], ['ok', 'certificate_not_logged']]);
    expect(r.warnings).toEqual(expect.arrayContaining([expect.stringContaining('a SHA-1 cannot')]));
  });
});

describe('a logged DPoP header that is not exactly one well-formed proof (RFC 9449 §4.3 checks 1–2)', () => {
  // Each file: the request a lax gateway accepted (200), then the one a strict resource server refused (401).
  it('`DPoP: this-is-not-a-jwt` (HAProxy option httplog captures): malformed, not "proof not logged"', async () => {
    const r = await verdicts(file('r2-hap-malformed-proof.log'), 'haproxy', file('owner-a.cfg'));
    expect(r.verdicts).toEqual([['bound_not_enforced', 'malformed'], ['proof_invalid', 'malformed']]);
  });

  it('`DPoP: this-is-not-a-jwt` (Apache %{DPoP}i): malformed', async () => {
    const r = await verdicts(file('r2-apache-malformed-proof.log'), 'apache', APACHE_AUTHDPOP, 'authdpop');
    expect(r.verdicts).toEqual([['bound_not_enforced', 'malformed'], ['proof_invalid', 'malformed']]);
  });

  it('two DPoP headers, which Apache logs joined as "p1, p2": multiple_proofs', async () => {
    const r = await verdicts(file('r3-apache-two-proofs.log'), 'apache', APACHE_AUTHDPOP, 'authdpop');
    expect(r.verdicts).toEqual([['bound_not_enforced', 'multiple_proofs'], ['proof_invalid', 'multiple_proofs']]);
  });

  it("two DPoP headers counted by the recommended HAProxy format (has_dpop=2, req.hdr_cnt): multiple_proofs", async () => {
    const r = await verdicts(file('r8-hap-rec-two-dpop-headers.log'), 'haproxy', file('rec.cfg'), 'holdfast_edge');
    expect(r.verdicts).toEqual([['bound_not_enforced', 'multiple_proofs'], ['proof_invalid', 'multiple_proofs']]);
  });
});

it('a format that logs the DPoP proof but not Authorization still runs the checks that need no token, and warns', async () => {
  // HAProxy `dpop=%{+Q}[capture.req.hdr(0)]` only, every request accepted (200): a valid proof, the
  // same proof again 10 ms later, a proof signed by another key, an HS256 proof, an alg:none proof.
  const r = await verdicts(file('r6-hap-dpop-only.log'), 'haproxy', file('owner-b.cfg'));
  expect(r.verdicts).toEqual([
    ['ok', 'binding_unknown'],
    ['bound_not_enforced', 'jti_replay'],
    // Another key than the token's cannot be seen without the token (its cnf.jkt).
    ['ok', 'binding_unknown'],
    ['bound_not_enforced', 'alg'],
    ['bound_not_enforced', 'alg'],
  ]);
  expect(r.warnings).toEqual(expect.arrayContaining([expect.stringContaining('logs the DPoP proof but not the Authorization header')]));
});

it('proofs made for another port, host and scheme, accepted: compared in full where the frontend serves https, on the path only (ok / htu_path_only, not a bare ok) where the scheme is unknown', async () => {
  // option httplog with a captured Host: `bind … ssl` says the scheme, so the whole htu is compared.
  const full = await verdicts(file('r5-hap-htu-other-origin.log'), 'haproxy', file('owner-a.cfg'));
  expect(full.verdicts).toEqual([['bound_not_enforced', 'htu'], ['bound_not_enforced', 'htu'], ['bound_not_enforced', 'htu']]);
  // The same lines from a frontend whose bind does not say it terminates TLS: no scheme, path only.
  const pathOnly = await verdicts(file('r5-hap-htu-other-origin.log'), 'haproxy', file('owner-a.cfg').replace(/ ssl crt \S+/, ''));
  expect(pathOnly.verdicts).toEqual([['ok', 'htu_path_only'], ['ok', 'htu_path_only'], ['ok', 'htu_path_only']]);
});
