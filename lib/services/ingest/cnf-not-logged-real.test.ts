// The real haproxy (Debian's 2.6) with the recommended frontend minus its cnf.jkt member: it logs
// the token's cnf.x5t#S256 through jwt_payload_query, empty for a DPoP-bound token. Those lines,
// ingested with the configuration HAProxy ran with, leave the token's binding unknown: a token first
// seen there is not stored bearer, one known DPoP-bound from introspection stays DPoP-bound, and
// neither request is bearer_unbound. On both runtimes. Skips when haproxy is not installed, unless
// CI=true (then it must run).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintToken } from '../../binding/index.ts';
import { haproxyFrontend } from '../../ingest/gateway-configs.ts';
import { onEachRuntime, RUNTIMES } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy, type HaproxyProcess } from '../../testing/haproxy-launch.ts';
import type { EventRow } from '../estate/lists.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const HAPROXY = findHaproxy();
const IN_CI = process.env.CI === 'true';
if (!HAPROXY && !IN_CI) console.warn('cnf-not-logged-real.test.ts: skipped — haproxy is not installed; set CI=true to make this a failure');
const describeHaproxy = HAPROXY || IN_CI ? describe : describe.skip;
const PORT = 19612;
const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const EXP = 4_000_000_000;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', exp: EXP, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;
const fresh = jwt({ sub: 'svc-new', client_id: 'svc-new', cnf: { jkt: JKT } });
const known = jwt({ sub: 'svc-known', client_id: 'svc-known', cnf: { jkt: JKT } });

describeHaproxy('a real HAProxy format logging cnf.x5t#S256 but not cnf.jkt does not make DPoP-bound tokens bearer', () => {
  let pki: GatewayPki;
  let haproxy: HaproxyProcess | null = null;
  let stored = new Map<string, { events: Map<string, EventRow>; tokens: Map<string, string>; warnings: string[] } | null>();

  beforeAll(async () => {
    if (!HAPROXY) throw new Error('CI=true but haproxy is not installed: apt-get install -y haproxy');
    pki = createGatewayPki('hv2-haproxy-cnf-');
    const pem = join(pki.dir, 'server.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const frontend = haproxyFrontend({ bind: `127.0.0.1:${PORT}`, crtFile: pem, caFile: pki.caPath, crlFile: pki.crlPath, logTarget: 'stdout', backend: 'app' });
    const withoutJkt = frontend.replace(/ cnf_jkt=%\[[^\]]*\]/, '');
    expect(withoutJkt).not.toBe(frontend);
    const cfg = `${HAPROXY_TEST_HEAD}\n${withoutJkt}\nbackend app\n  http-request return status 200 content-type text/plain string ok\n`;
    haproxy = await startHaproxy(HAPROXY, pki.dir, 'haproxy', cfg, [PORT]);
    for (const [id, token] of [['req-new', fresh], ['req-known', known]] as const) {
      const r = await tlsRequest(pki, { port: PORT, path: '/a', client: 'good', headers: { authorization: `DPoP ${token}`, dpop: 'not-a-proof', 'x-request-id': id } });
      expect(r.status).toBe(200);
    }
    await haproxy.stop();
    haproxy = null;
    const log = readFileSync(join(pki.dir, 'haproxy.log'), 'utf8');
    expect(log).toContain('cnf_x5t=');
    const config = readFileSync(join(pki.dir, 'haproxy.cfg'), 'utf8');
    const dump = JSON.stringify({ active: true, token_fingerprint: fingerprintToken(known), client_id: 'svc-known', sub: 'svc-known', exp: EXP, cnf: { jkt: JKT } });
    stored = await onEachRuntime(async (t) => {
      await ingestStream(t.db, [`${dump}\n`], { format: 'introspection', sourceName: 'as', actor: 'test' });
      const r = await ingestStream(t.db, [log], { format: 'haproxy', gatewayConfig: config, sourceName: 'haproxy', actor: 'test' });
      expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 2, rejected: 0 });
      const rows = await t.db.query<{ fingerprint: string; binding: string }>(`SELECT fingerprint, binding::text AS binding FROM "Token"`);
      return {
        events: new Map((await allEvents(t.db)).map((e) => [e.correlationId ?? '', e])),
        tokens: new Map(rows.map((x) => [x.fingerprint, x.binding])),
        warnings: r.logFormat?.warnings ?? [],
      };
    });
  }, 120_000);

  afterAll(async () => {
    await haproxy?.stop();
    pki?.cleanup();
  });

  it.each(RUNTIMES)('%s: warned; the new token not stored bearer, the known one still DPoP-bound; no request bearer_unbound', (runtime) => {
    const s = stored.get(runtime);
    if (!s) return;
    expect(s.warnings).toEqual(expect.arrayContaining([expect.stringContaining('but not cnf.jkt')]));
    expect(s.tokens.get(fingerprintToken(fresh))).toBeUndefined();
    expect(s.tokens.get(fingerprintToken(known))).toBe('dpop');
    expect(s.events.get('req-new')).toMatchObject({ verdict: 'ok', reason: 'proof_not_logged', tokenId: null });
    expect(s.events.get('req-known')).toMatchObject({ verdict: 'ok', reason: 'proof_not_logged', tokenFingerprint: fingerprintToken(known) });
  });
});
