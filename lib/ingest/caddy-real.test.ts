// The real caddy (Debian's package, 2.6) as an mTLS gateway with a test CA, driven by real TLS
// clients across the certificate matrix; its own access log, parsed by the `caddy` format, must
// give the facts the test knows and, through lib/binding, the expected verdicts.
// Skips when caddy is not installed, unless CI=true (then it must run).
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedEvent, Verdict } from '../domain/types.ts';
import { hopVerdict } from '../hops/hop-verdict.ts';
import { caddyTestGlobals, findCaddy, startCaddy, type CaddyProcess } from '../testing/caddy.ts';
import { createGatewayPki, tlsRequest, type ClientName, type GatewayPki } from '../testing/gateway-pki.ts';
import { freePort } from '../testing/processes.ts';
import { openParseStream } from './parse-stream.ts';

const CADDY = findCaddy();
const IN_CI = process.env.CI === 'true';
if (!CADDY && !IN_CI) console.warn('caddy-real.test.ts: skipped — caddy is not installed (apt-get install -y caddy); set CI=true to make this a failure');
const describeCaddy = CADDY || IN_CI ? describe : describe.skip;

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

type Site = 'optional' | 'required';

interface Case {
  name: string;
  site: Site;
  client: ClientName | null;
  /** The token sent is bound to this client's certificate (cnf x5t#S256), or is a plain bearer token. */
  boundTo: ClientName | null;
  /** null: the handshake fails and Caddy writes no access line. */
  status: number | null;
  /** lib/binding's verdict for the parsed line, with the token's facts known. */
  verdict: Verdict | null;
  reason?: string | null;
  /**
   * What the lead's CRL check will add later: Caddy accepts a revoked certificate (it checks no
   * CRL), so the line looks good; cert_revoked_unchecked is the verdict it must get.
   */
  later?: Verdict;
}

// optional: `mode verify_if_given`, default access log (CN and decimal serial only): TLS ended at Caddy,
// so a certificate-bound token's request is not judged stripped but not comparable (ok, certificate_not_logged).
// required: `mode require_and_verify`, plus the certificate SHA-256 echoed in a response header
// (resp_headers carries it), as the Ingest page recommends.
const CASES: Case[] = [
  { name: 'opt-good-bound', site: 'optional', client: 'good', boundTo: 'good', status: 200, verdict: 'ok', reason: 'certificate_not_logged' },
  { name: 'opt-other-bound', site: 'optional', client: 'other', boundTo: 'good', status: 200, verdict: 'ok', reason: 'certificate_not_logged' },
  { name: 'opt-revoked', site: 'optional', client: 'revoked', boundTo: null, status: 200, verdict: 'bearer_unbound', later: 'cert_revoked_unchecked' },
  { name: 'opt-expired', site: 'optional', client: 'expired', boundTo: null, status: null, verdict: null },
  { name: 'opt-untrusted', site: 'optional', client: 'untrusted', boundTo: null, status: null, verdict: null },
  { name: 'opt-none-bound', site: 'optional', client: null, boundTo: 'good', status: 200, verdict: 'bound_not_enforced', reason: 'no_certificate' },
  { name: 'opt-none-bearer', site: 'optional', client: null, boundTo: null, status: 200, verdict: 'bearer_unbound' },
  { name: 'req-good-bound', site: 'required', client: 'good', boundTo: 'good', status: 200, verdict: 'ok' },
  { name: 'req-other-bound', site: 'required', client: 'other', boundTo: 'good', status: 200, verdict: 'bound_not_enforced', reason: 'x5t_mismatch' },
  { name: 'req-revoked-bound', site: 'required', client: 'revoked', boundTo: 'revoked', status: 200, verdict: 'ok', later: 'cert_revoked_unchecked' },
  { name: 'req-none', site: 'required', client: null, boundTo: null, status: null, verdict: null },
  { name: 'req-expired', site: 'required', client: 'expired', boundTo: null, status: null, verdict: null },
];

describeCaddy('real Caddy mTLS gateway: its JSON access log', () => {
  let pki: GatewayPki;
  let caddy: CaddyProcess | null = null;
  const ports: Record<Site, number> = { optional: 0, required: 0 };
  const outcome = new Map<string, number | 'handshake_failed'>();
  let events: NormalizedEvent[] = [];
  const tokens = new Map<string, string>();

  const tokenFor = (c: Case) =>
    `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: `caller-${c.name}`, jti: c.name, ...(c.boundTo ? { cnf: { 'x5t#S256': pki.clients[c.boundTo].x5t } } : {}) })}.c2lnLW5vdC1yZWFs`;
  const byName = (name: string) => events.find((e) => e.url?.endsWith(`/case/${name}`));

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed: apt-get install -y caddy');
    pki = createGatewayPki('holdfast-caddy-');
    mkdirSync(join(pki.dir, 'logs'));
    ports.optional = await freePort();
    ports.required = await freePort();
    const site = (s: Site, mode: string, extra: string) => `https://api.test:${ports[s]} {
  tls ${pki.serverCertPath} ${pki.serverKeyPath} {
    client_auth {
      mode ${mode}
      trusted_ca_cert_file ${pki.caPath}
    }
  }
  log {
    output file ${pki.dir}/logs/${s}.json
    format json
  }
${extra}
  respond "ok"
}
`;
    const echoSha256 = `  @hascert expression {http.request.tls.client.fingerprint} != null
  header @hascert X-Client-Cert-Sha256 {http.request.tls.client.fingerprint}`;
    caddy = await startCaddy(CADDY, pki.dir, `${caddyTestGlobals(pki.dir)}${site('optional', 'verify_if_given', '')}${site('required', 'require_and_verify', echoSha256)}`, [ports.optional, ports.required]);
    for (const c of CASES) {
      const token = tokenFor(c);
      tokens.set(c.name, token);
      try {
        const res = await tlsRequest(pki, { port: ports[c.site], path: `/case/${c.name}`, client: c.client, headers: { Authorization: `Bearer ${token}`, 'X-Request-ID': `rid-${c.name}` } });
        outcome.set(c.name, res.status);
      } catch {
        outcome.set(c.name, 'handshake_failed');
      }
    }
    await caddy.stop();
    caddy = null;
    events = [];
    for (const s of ['optional', 'required'] as const) {
      const { format, results } = await openParseStream(createReadStream(join(pki.dir, 'logs', `${s}.json`)), {});
      expect(format, 'detected from the real log').toBe('caddy');
      for await (const r of results) {
        if (r.result.kind !== 'event') throw new Error(`${s}.json line ${r.lineNo}: ${JSON.stringify(r.result)}`);
        events.push(r.result.event);
      }
    }
  }, 90_000);

  afterAll(async () => {
    await caddy?.stop();
    pki?.cleanup();
  });

  it('the client saw the expected status, or a failed handshake', () => {
    for (const c of CASES) expect(outcome.get(c.name), c.name).toBe(c.status ?? 'handshake_failed');
  });

  it('one access line per request that got past the handshake, none for the others', () => {
    expect(events.map((e) => e.url!.replace(/^.*\/case\//, '')).sort()).toEqual(CASES.filter((c) => c.status !== null).map((c) => c.name).sort());
  });

  it.each(CASES.filter((c) => c.status !== null).map((c) => [c.name, c]))('%s: certificate facts as Caddy logs them', (_n, c) => {
    const e = byName(c.name)!;
    expect(e.httpStatus).toBe(c.status);
    expect(e.correlationId).toBe(`rid-${c.name}`);
    expect(e.clientIp).toBe('127.0.0.1');
    expect(e.method).toBe('GET');
    if (!c.client) {
      expect(e.cert).toMatchObject({ verify: 'NONE', subjectDn: null, serial: null, x5tS256: null });
      return;
    }
    const k = pki.clients[c.client];
    expect(e.cert?.subjectDn).toBe(`CN=${k.cn}`);
    // Caddy logs the serial in decimal; the parser gives the hex openssl prints.
    expect(e.cert?.serial).toBe(k.serialHex);
    expect(e.redactedRaw).toContain(`"client_serial":"${k.serialDec}"`);
    expect(e.cert?.x5tS256).toBe(c.site === 'required' ? k.x5t : null);
  });

  it.each(CASES.filter((c) => c.status !== null).map((c) => [c.name, c]))('%s: verdict with the token known', async (_n, c) => {
    const e = byName(c.name)!;
    const token = c.boundTo ? { binding: 'mtls' as const, cnfX5tS256: pki.clients[c.boundTo].x5t } : { binding: 'bearer' as const };
    const d = await hopVerdict(e, token);
    expect(d.verdict).toBe(c.verdict);
    if (c.reason !== undefined) expect(d.reason).toBe(c.reason);
  });

  it('a revoked certificate is accepted and logged like a good one (Caddy checks no CRL): the cert_revoked_unchecked cases', () => {
    const revoked = CASES.filter((c) => c.later === 'cert_revoked_unchecked');
    expect(revoked.map((c) => c.name)).toEqual(['opt-revoked', 'req-revoked-bound']);
    for (const c of revoked) {
      const e = byName(c.name)!;
      expect(e.httpStatus).toBe(200);
      expect(e.sourceVerdict).toBeNull();
      expect(e.cert?.serial).toBe(pki.clients.revoked.serialHex);
    }
  });

  it('Caddy redacts Authorization; no raw token reaches the parsed output either', () => {
    for (const e of events) {
      expect(e.authScheme).toBeNull();
      expect(e.tokenFingerprint).toBeNull();
      expect(e.labels?.authorization).toBe('redacted by caddy');
    }
    const out = JSON.stringify(events);
    for (const t of tokens.values()) {
      expect(out).not.toContain(t);
      expect(out).not.toContain(t.split('.')[1]);
    }
  });
});
