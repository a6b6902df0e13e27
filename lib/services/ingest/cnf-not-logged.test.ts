// A HAProxy format that logs the token's cnf.x5t#S256 (jwt_payload_query) but not its cnf.jkt read
// every DPoP-bound token as bearer: its logged cnf member was empty, so the claims built from it had
// no cnf, and a token first seen there was stored bearer. Such a line now leaves the binding
// unknown: it creates no token (it would be stored bearer), judges the request by what it shows
// (the DPoP scheme), and never touches a binding already known (an introspection dump's cnf.jkt).
// On both runtimes, through ingestStream with the gateway's configuration.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintToken } from '../../binding/index.ts';
import { haproxyFrontend } from '../../ingest/gateway-configs.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import type { EventRow } from '../estate/lists.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const EXP = 4_000_000_000;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const jwt = (claims: Record<string, unknown>) => `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ iss: 'https://as.test', exp: EXP, ...claims })}.c2lnbmF0dXJlLW5vdC1jaGVja2Vk`;

const RECOMMENDED = haproxyFrontend({ bind: ':443', crtFile: 'x.pem', caFile: 'ca.crt', crlFile: 'crl.pem', logTarget: 'stdout', backend: 'app' });

/**
 * The recommended frontend without `cnf_jkt=%[…jwt_payload_query('$.cnf.jkt')]` (an owner who
 * only uses mTLS), or without both cnf members (an owner logging who the token is, not how it is bound).
 */
const VARIANTS = [
  { name: 'cnf.x5t#S256 but not cnf.jkt', config: RECOMMENDED.replace(/ cnf_jkt=%\[[^\]]*\]/, ''), cnfX5t: ' cnf_x5t=-', warning: 'but not cnf.jkt' },
  { name: 'neither cnf member', config: RECOMMENDED.replace(/ cnf_(jkt|x5t)=%\[[^\]]*\]/g, ''), cnfX5t: '', warning: 'neither cnf.x5t#S256 nor cnf.jkt' },
];

/** What such a frontend logs for a DPoP request without a client certificate (HAProxy writes `-` for an empty sample). */
const line = (id: string, token: string, client: string, cnfX5t: string) =>
  `10.0.0.1 [04/Dec/2026:10:22:49 +0000] ${id} GET /a HTTP/1.1 200 ssl_c_used=0 ssl_c_verify=0 ssl_c_err=0 ssl_c_ca_err=0 ssl_c_s_dn="" ssl_c_i_dn="" ssl_c_serial= ssl_c_sha1= x5t= scheme=DPoP token_sha256=${fingerprintToken(token)} client_id=${client} sub=${client} exp=${EXP}${cnfX5t} has_dpop=1 x_request_id="${id}"`;

const fresh = jwt({ sub: 'svc-new', client_id: 'svc-new', cnf: { jkt: JKT } }); // first seen in this log
const known = jwt({ sub: 'svc-known', client_id: 'svc-known', cnf: { jkt: JKT } }); // known DPoP-bound from introspection

for (const runtime of RUNTIMES) for (const v of VARIANTS) {
  describe(`a DPoP-bound token through a HAProxy format that logs ${v.name} is not bearer (${runtime})`, () => {
    let t: TestDatabase | undefined;
    let tokens = new Map<string, string>();
    let events = new Map<string, EventRow>();
    let warnings: string[] = [];

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) {
        if (process.env.CI === 'true') throw new Error('CI=true but PostgreSQL is not reachable');
        return;
      }
      t = await openTestDatabase(runtime);
      const dump = JSON.stringify({ active: true, token_fingerprint: fingerprintToken(known), client_id: 'svc-known', sub: 'svc-known', exp: EXP, cnf: { jkt: JKT } });
      const first = await ingestStream(t.db, [`${dump}\n`], { format: 'introspection', sourceName: 'as', actor: 'test' });
      expect(first, JSON.stringify(first.errors)).toMatchObject({ accepted: 1, rejected: 0 });
      const log = [line('req-new', fresh, 'svc-new', v.cnfX5t), line('req-known', known, 'svc-known', v.cnfX5t)].join('\n');
      const r = await ingestStream(t.db, [`${log}\n`], { format: 'haproxy', gatewayConfig: v.config, sourceName: 'haproxy', actor: 'test' });
      expect(r, JSON.stringify(r.errors)).toMatchObject({ accepted: 2, rejected: 0 });
      warnings = r.logFormat?.warnings ?? [];
      const rows = await t.db.query<{ fingerprint: string; binding: string }>(`SELECT fingerprint, binding::text AS binding FROM "Token"`);
      tokens = new Map(rows.map((x) => [x.fingerprint, x.binding]));
      events = new Map((await allEvents(t.db)).map((e) => [e.requestId ?? '', e]));
    }, 120_000);
    afterAll(async () => t?.drop());

    it('the batch carries the compile warning that the format does not log the binding whole', () => {
      if (!t) return;
      expect(warnings).toEqual(expect.arrayContaining([expect.stringContaining(v.warning)]));
    });

    it('a token first seen there is not stored (it would be stored bearer); its request is judged as DPoP, not bearer_unbound', () => {
      if (!t) return;
      expect(tokens.get(fingerprintToken(fresh))).toBeUndefined();
      expect(events.get('req-new')).toMatchObject({ verdict: 'ok', reason: 'proof_not_logged', tokenId: null });
    });

    it('a token known DPoP-bound stays DPoP-bound, and its request is joined to it', () => {
      if (!t) return;
      expect(tokens.get(fingerprintToken(known))).toBe('dpop');
      expect(events.get('req-known')).toMatchObject({ verdict: 'ok', reason: 'proof_not_logged', tokenFingerprint: fingerprintToken(known), identity: 'svc-known' });
    });
  });
}
