// The generated HAProxy enforcement configuration on the real gateway (Debian haproxy 2.6, test CA
// and CRL from openssl): the same clients as the NGINX test — the legitimate one passes, a stolen
// certificate-bound token with another certificate, a bound token without a certificate and a
// bearer token get 401 — and the gateway's own log, read by the haproxy format with this
// configuration and judged by the binding engine the ingest pipeline uses, flips from
// bound_not_enforced (the recommended logging-only frontend) to binding_mismatch /
// no_proof_for_bound_token. DPoP: what HAProxy checks is refused with its reason, including a
// replayed jti; what it does not check (the proof's signature) is shown to pass, as it says.
// Skips without haproxy, unless CI=true.
import { randomBytes } from 'node:crypto';
import { calculateThumbprint, generateKeyPair, generateProof, type KeyPair } from 'dpop';
import { calculateJwkThumbprint, exportJWK, generateKeyPair as joseKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decideVerdictNow } from '../binding/decide-verdict.ts';
import { ath } from '../binding/testing/proofs.ts';
import type { NormalizedEvent } from '../domain/types.ts';
import { sha256B64url } from '../credentials/fingerprint.ts';
import { openParseStream } from '../ingest/parse-stream.ts';
import { createGatewayPki, type GatewayPki } from '../testing/gateway-pki.ts';
import { findHaproxy } from '../testing/haproxy-launch.ts';
import type { RefusalReason } from './types.ts';
import { answeredVsExpected, jwt, MTLS_CLIENTS, mtlsTokens, nowS, runMtlsScenario, type MtlsScenarioRun } from './testing/clients.ts';
import { startRecordingUpstream, type RecordingUpstream } from './testing/enforcing-nginx.ts';
import { startEnforcingHaproxy, startLoggingOnlyHaproxy, type RunningHaproxy } from './testing/enforcing-haproxy.ts';

const HAPROXY = findHaproxy();
const IN_CI = process.env.CI === 'true';
const describeReal = HAPROXY || IN_CI ? describe : describe.skip;
if (!HAPROXY && !IN_CI) console.warn('haproxy-enforcement-real.test.ts: skipped — haproxy is not installed; set CI=true to make this a failure');

/** `key=value` of one HAProxy log line (the recommended format labels every value). */
function field(line: string, key: string): string {
  const m = new RegExp(`(?:^| )${key}=("(?:[^"\\\\]|\\\\.)*"|\\S*)`).exec(line);
  const v = m ? (m[1]!.startsWith('"') ? m[1]!.slice(1, -1) : m[1]!) : '';
  return v === '-' ? '' : v;
}
const uriOf = (line: string) => / (?:GET|POST) (\S+) HTTP/.exec(line)?.[1] ?? '';

/** The log read the way ingest reads it (format haproxy + this configuration), each line judged by the pipeline's binding decision. */
async function verdicts(log: string, configText: string): Promise<Array<{ uri: string; status: number | null; verdict: string; reason: string | null }>> {
  const { results } = await openParseStream([log], { format: 'haproxy', gatewayConfig: configText, logFormat: 'holdfast_edge' });
  const out: Array<{ uri: string; status: number | null; verdict: string; reason: string | null }> = [];
  for await (const r of results) {
    if (r.result.kind === 'skip') continue;
    if (r.result.kind !== 'event') throw new Error(`line ${r.lineNo}: ${JSON.stringify(r.result)}`);
    const ev: NormalizedEvent = r.result.event;
    const d = await decideVerdictNow(ev, null);
    out.push({ uri: ev.url ?? '', status: ev.httpStatus, verdict: d.verdict, reason: d.reason });
  }
  return out;
}

describeReal('HAProxy enforcement (generated config) on the real gateway', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let before: RunningHaproxy;
  let enforced: RunningHaproxy;
  let reportOnly: RunningHaproxy;
  let logs: MtlsScenarioRun['logs'];
  let responses: MtlsScenarioRun['responses'];
  let tokens: { bound: string; bearer: string };

  beforeAll(async () => {
    if (!HAPROXY) throw new Error('CI=true but haproxy is not installed');
    pki = createGatewayPki('holdfast-enforce-haproxy-');
    upstream = await startRecordingUpstream();
    tokens = mtlsTokens(pki.clients.good.x5t);
    before = await startLoggingOnlyHaproxy(HAPROXY, pki, 'hx-before', upstream.url);
    enforced = await startEnforcingHaproxy(HAPROXY, pki, 'hx-enforced', upstream.url, { require: 'mtls' });
    reportOnly = await startEnforcingHaproxy(HAPROXY, pki, 'hx-report-only', upstream.url, { require: 'mtls', mode: 'report_only' });
    ({ responses, logs } = await runMtlsScenario({ before, enforced, reportOnly }, tokens));
  }, 60_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  it('answers each client: the legitimate one 200, the stolen, certificate-less and bearer ones 401 with Bearer error="invalid_token"', () => {
    const { got, want } = answeredVsExpected(responses);
    expect(got).toEqual(want);
  });

  it('a refused request never reaches the upstream', () => {
    expect(upstream.paths.filter((p) => p.startsWith('/enforced/'))).toEqual(['/enforced/api/legit']);
    expect(upstream.paths.filter((p) => p.startsWith('/report/'))).toHaveLength(MTLS_CLIENTS.length);
  });

  it('logs enforcement and enforcement_reason on every line; report-only logs would_refuse', () => {
    const lines = (text: string) => text.split('\n').filter(Boolean);
    expect(lines(logs.enforced).map((l) => [uriOf(l), field(l, 'enforcement'), field(l, 'enforcement_reason'), field(l, 'enforcement_mode')])).toEqual(
      MTLS_CLIENTS.map((c) => [`/enforced${c.path}`, c.enforced.status === 200 ? 'passed' : 'refused', c.enforced.reason, 'enforce']),
    );
    expect(lines(logs.reportOnly).map((l) => [field(l, 'enforcement'), field(l, 'enforcement_reason')])).toEqual(
      MTLS_CLIENTS.map((c) => [c.enforced.status === 200 ? 'passed' : 'would_refuse', c.enforced.reason]),
    );
  });

  it('the flip, read by the haproxy format with the configuration: bound_not_enforced before, binding_mismatch / no_proof_for_bound_token with 401 after', async () => {
    expect(await verdicts(logs.before, before.configText)).toEqual(
      MTLS_CLIENTS.map((c) => ({ uri: `/before${c.path}`, status: 200, verdict: c.loggingOnly.verdict, reason: c.loggingOnly.verdictReason })),
    );
    expect(await verdicts(logs.enforced, enforced.configText)).toEqual(
      MTLS_CLIENTS.map((c) => ({ uri: `/enforced${c.path}`, status: c.enforced.status, verdict: c.enforced.verdict, reason: c.enforced.verdictReason })),
    );
    expect((await verdicts(logs.reportOnly, reportOnly.configText)).map((v) => v.verdict)).toEqual(MTLS_CLIENTS.map((c) => c.loggingOnly.verdict));
  });

  it('no log holds a token; the token SHA-256 is there', () => {
    for (const text of Object.values(logs)) {
      for (const t of [tokens.bound, tokens.bearer]) {
        expect(text).not.toContain(t);
        expect(text).not.toContain(t.split('.')[1]!);
      }
      expect(text).toContain(sha256B64url(tokens.bound));
    }
  });
});

describeReal('HAProxy enforcement of DPoP (require dpop) on the real gateway', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let gw: RunningHaproxy;
  let log = '';
  let victim: KeyPair;
  let token = '';
  const got = new Map<string, { status: number; challenge: string | undefined }>();
  const want: Array<{ path: string; status: number; reason: RefusalReason | ''; challenge?: RegExp }> = [];
  const htu = (path: string) => `https://api.test:${gw.port}${path}`;

  beforeAll(async () => {
    if (!HAPROXY) throw new Error('CI=true but haproxy is not installed');
    pki = createGatewayPki('holdfast-enforce-haproxy-dpop-');
    upstream = await startRecordingUpstream();
    gw = await startEnforcingHaproxy(HAPROXY, pki, 'hx-dpop', upstream.url, { require: 'dpop' });
    victim = await generateKeyPair('ES256', { extractable: true });
    const victimJwk = (await crypto.subtle.exportKey('jwk', victim.publicKey)) as Record<string, string>;
    token = jwt({ client_id: 'agent-7', sub: 'agent-7', cnf: { jkt: await calculateThumbprint(victim.publicKey) } });
    const thief = await generateKeyPair('ES256');
    const send = async (path: string, status: number, reason: RefusalReason | '', headers: Record<string, string>, challenge?: RegExp, method = 'GET') => {
      want.push({ path, status, reason, challenge });
      const r = await gw.request(path, null, headers, method);
      got.set(path, { status: r.status, challenge: r.headers['www-authenticate'] as string | undefined });
    };
    const auth = { Authorization: `DPoP ${token}` };
    const invalidProof = /^DPoP error="invalid_dpop_proof", algs="ES256 /;
    const invalidToken = /^DPoP error="invalid_token", algs="/;
    const ok = await generateProof(victim, htu('/dpop/ok'), 'GET', undefined, token);
    await send('/dpop/ok', 200, '', { ...auth, DPoP: ok });
    await send('/dpop/ok?again=1', 401, 'jti_replay', { ...auth, DPoP: ok }, invalidProof);
    await send('/dpop/thief-key', 401, 'jkt_mismatch', { ...auth, DPoP: await generateProof(thief, htu('/dpop/thief-key'), 'GET', undefined, token) }, invalidToken);
    await send('/dpop/no-proof', 401, 'no_proof', auth, invalidToken);
    await send('/dpop/as-bearer', 401, 'bearer_scheme_for_dpop_token', { Authorization: `Bearer ${token}`, DPoP: await generateProof(victim, htu('/dpop/as-bearer'), 'GET', undefined, token) }, invalidToken);
    await send('/dpop/wrong-htu', 401, 'htu', { ...auth, DPoP: await generateProof(victim, htu('/elsewhere'), 'GET', undefined, token) }, invalidProof);
    await send('/dpop/wrong-htm', 401, 'htm', { ...auth, DPoP: await generateProof(victim, htu('/dpop/wrong-htm'), 'POST', undefined, token) }, invalidProof);
    await send('/dpop/no-ath', 401, 'ath', { ...auth, DPoP: await generateProof(victim, htu('/dpop/no-ath'), 'GET') }, invalidProof);
    await send('/dpop/two-proofs', 401, 'malformed', { ...auth, DPoP: [ok, ok] as unknown as string }, invalidProof);
    const hand = (path: string, claims: Record<string, unknown>, header: Record<string, unknown>) =>
      new SignJWT({ jti: `${path}-${nowS()}`, iat: nowS(), htm: 'GET', htu: htu(path), ath: ath(token), ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: victimJwk, ...header })
        .sign(victim.privateKey);
    await send('/dpop/old-iat', 401, 'iat', { ...auth, DPoP: await hand('/dpop/old-iat', { iat: nowS() - 301 }, {}) }, invalidProof);
    await send('/dpop/typ', 401, 'typ', { ...auth, DPoP: await hand('/dpop/typ', {}, { typ: 'jwt' }) }, invalidProof);
    const forged = (await hand('/dpop/forged-signature', {}, {})).split('.');
    // HAProxy does not verify the proof's signature (notChecked says so): a proof forged with the
    // victim's public key passes. This request shows the gap instead of hiding it.
    await send('/dpop/forged-signature', 200, '', { ...auth, DPoP: `${forged[0]}.${forged[1]}.${randomBytes(64).toString('base64url')}` });
    const noneHeader = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'none', jwk: victimJwk })).toString('base64url');
    await send('/dpop/alg-none', 401, 'alg', { ...auth, DPoP: `${noneHeader}.${forged[1]}.` }, invalidProof);
    const withD = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: { ...victimJwk, d: 'cHJpdmF0ZQ' } })).toString('base64url');
    await send('/dpop/private-key', 401, 'private_key_in_jwk', { ...auth, DPoP: `${withD}.${forged[1]}.${forged[2]}` }, invalidProof);
    // The RFC 7638 thumbprint is built for RSA keys too.
    const rsa = await joseKeyPair('PS256', { extractable: true });
    const rsaJwk = await exportJWK(rsa.publicKey);
    const rsaToken = jwt({ sub: 'agent-rsa', cnf: { jkt: await calculateJwkThumbprint(rsaJwk) } });
    const rsaProof = await new SignJWT({ jti: 'rsa-1', iat: nowS(), htm: 'GET', htu: htu('/dpop/rsa'), ath: ath(rsaToken) })
      .setProtectedHeader({ alg: 'PS256', typ: 'dpop+jwt', jwk: rsaJwk }).sign(rsa.privateKey);
    await send('/dpop/rsa', 200, '', { Authorization: `DPoP ${rsaToken}`, DPoP: rsaProof });
    await send('/dpop/no-token', 401, 'no_token', {}, /^DPoP algs="/);
    log = await gw.stop();
  }, 90_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  it('each request gets the status and challenge its proof deserves', () => {
    const actual = want.map((w) => ({ path: w.path, status: got.get(w.path)?.status, challenge: w.challenge ? w.challenge.test(got.get(w.path)?.challenge ?? '') : undefined }));
    expect(actual).toEqual(want.map((w) => ({ path: w.path, status: w.status, challenge: w.challenge ? true : undefined })));
  });

  it('logs each refusal with its own reason; only passing requests reach the upstream', () => {
    const lines = new Map(log.split('\n').filter(Boolean).map((l) => [uriOf(l), l]));
    expect(want.map((w) => [w.path, field(lines.get(w.path) ?? '', 'enforcement'), field(lines.get(w.path) ?? '', 'enforcement_reason')])).toEqual(
      want.map((w) => [w.path, w.status === 200 ? 'passed' : 'refused', w.reason]),
    );
    expect(upstream.paths.sort()).toEqual(want.filter((w) => w.status === 200).map((w) => w.path).sort());
  });

  it('the log holds no token and no proof', () => {
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[1]!);
    expect(log).not.toContain('eyJ0eXAiOiJkcG9wK2p3dC');
  });
});
