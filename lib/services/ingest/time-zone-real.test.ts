// Times without a zone from real gateways whose clock is not on UTC: a real HAProxy 2.6 logging
// `%tr` and a real Apache 2.4 logging `%{%Y-%m-%dT%H:%M:%S}t` (no `%z`), both run under
// TZ=Europe/Berlin and writing their own logs, then ingested on both runtimes with and without
// `timeZone: 'Europe/Berlin'`. With the zone every time equals the instant the request was sent;
// without it (read as UTC) every time is an hour late in December, and a certificate-bound token
// with 30 minutes left (exp) reads token_expired / accepted_after_expiry — the wrong verdict the
// zone puts right (ok). Holdfast's own recommended HAProxy frontend logs `%trl` (local time with
// its offset): read right with no zone given, and never shifted by one. A time zone the runtime does
// not know is refused before anything is read.
// Skips when haproxy or apache2 is not installed, unless CI=true (then it must run).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apacheLogConfig, haproxyFrontend } from '../../ingest/gateway-configs.ts';
import { findApache, startApache } from '../../testing/apache-launch.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { findHaproxy, HAPROXY_TEST_HEAD, startHaproxy } from '../../testing/haproxy-launch.ts';
import { freePort } from '../../testing/processes.ts';
import { listEvents, parseEventFilters } from '../estate/lists.ts';
import { ingestStream } from './pipeline.ts';

const HAPROXY = findHaproxy();
const APACHE = findApache();
const IN_CI = process.env.CI === 'true';
if ((!HAPROXY || !APACHE) && !IN_CI) console.warn('time-zone-real.test.ts: skipped — haproxy or apache2 is not installed; set CI=true to make this a failure');
const describeGateways = (HAPROXY && APACHE) || IN_CI ? describe : describe.skip;

const BERLIN = { TZ: 'Europe/Berlin' };
const HOUR = 3_600_000;

interface Sent {
  /** Just before the request left and just after its answer came (this machine's clock, UTC). */
  before: number;
  after: number;
  status: number;
}

/** A JWT bound to the certificate, 30 minutes left: its signature is never checked, only its claims read at the gateway. */
function boundToken(x5t: string, exp: number, sub: string): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64({ client_id: sub, sub, exp, cnf: { 'x5t#S256': x5t } })}.c2lnbmF0dXJl`;
}

describeGateways('real gateways on Europe/Berlin time: zone-less times read in the zone given', () => {
  let pki: GatewayPki;
  let offsetNow = 0;
  const logs = { haproxy: '', apache: '', recommended: '' };
  const configs = { haproxy: '', apache: '', recommended: '' };
  const sent: Record<'haproxy' | 'apache' | 'recommended', Sent[]> = { haproxy: [], apache: [], recommended: [] };
  const dbs: TestDatabase[] = [];

  beforeAll(async () => {
    if (!HAPROXY || !APACHE) throw new Error('CI=true but haproxy or apache2 is not installed: apt-get install -y haproxy apache2');
    pki = createGatewayPki('hf-tz-');
    // Europe/Berlin's offset now (+1 h in winter, +2 h in summer): what a UTC reading is off by.
    const wall = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Berlin', hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    const p = Object.fromEntries(wall.formatToParts(new Date()).map((x) => [x.type, Number(x.value)]));
    offsetNow = Math.round((Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - Date.now()) / 60_000) * 60_000;
    const good = pki.clients.good;
    const token = () => boundToken(good.x5t, Math.floor(Date.now() / 1000) + 1800, 'svc-tz');
    const send = async (port: number) => {
      const before = Date.now();
      const r = await tlsRequest(pki, { port, path: '/api/tz', client: 'good', headers: { authorization: `Bearer ${token()}` } });
      return { before, after: Date.now(), status: r.status };
    };

    // HAProxy on Berlin time, the recommended frontend (time as `edit` leaves it), three requests.
    const pem = join(pki.dir, 'server.pem');
    writeFileSync(pem, readFileSync(pki.serverCertPath, 'utf8') + readFileSync(pki.serverKeyPath, 'utf8'));
    const runHaproxy = async (name: 'haproxy' | 'recommended', edit: (frontend: string) => string) => {
      const port = await freePort();
      const frontend = edit(haproxyFrontend({ bind: `127.0.0.1:${port}`, crtFile: pem, caFile: pki.caPath, crlFile: pki.crlPath, logTarget: 'stdout', backend: 'app' }));
      const haproxy = await startHaproxy(HAPROXY, pki.dir, name, `${HAPROXY_TEST_HEAD}\n${frontend}\nbackend app\n  http-request return status 200 content-type text/plain string ok\n`, [port], BERLIN);
      for (let i = 0; i < 3; i++) sent[name].push(await send(port));
      await haproxy.stop();
      logs[name] = readFileSync(haproxy.logFile, 'utf8');
      configs[name] = readFileSync(join(pki.dir, `${name}.cfg`), 'utf8');
    };
    // Its time logged as %tr (local time, no zone); and the recommended frontend as it is (%trl).
    await runHaproxy('haproxy', (f) => f.replace(/\[%trl?\]/, '[%tr]'));
    expect(configs.haproxy).toContain('[%tr]');
    await runHaproxy('recommended', (f) => f);

    // Apache: the recommended LogFormat without its %z (a strftime time with no zone).
    const aport = await freePort();
    const logFile = join(pki.dir, 'apache-access.log');
    const logConfig = apacheLogConfig({ logFile }).replace('%{%z}t', '');
    expect(logConfig).toContain('%{%Y-%m-%dT%H:%M:%S}t %a');
    writeFileSync(join(pki.dir, 'ok.txt'), 'ok\n');
    const apache = await startApache(APACHE, pki.dir, `LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so
<VirtualHost 127.0.0.1:${aport}>
  SSLEngine on
  SSLCertificateFile ${pki.serverCertPath}
  SSLCertificateKeyFile ${pki.serverKeyPath}
  SSLCACertificateFile ${pki.caPath}
  SSLVerifyClient optional
  SSLVerifyDepth 2
  SSLOptions +ExportCertData
${logConfig}
  AliasMatch ^/ ${pki.dir}/ok.txt
</VirtualHost>`, [aport], BERLIN);
    for (let i = 0; i < 3; i++) sent.apache.push(await send(aport));
    await apache.stop();
    logs.apache = readFileSync(logFile, 'utf8');
    configs.apache = readFileSync(join(pki.dir, 'httpd.conf'), 'utf8');
  }, 90_000);

  afterAll(async () => {
    for (const t of dbs.splice(0)) await t.drop();
    pki?.cleanup();
  });

  it('the gateways ran on Berlin time and logged it without a zone', () => {
    expect(offsetNow).toBeGreaterThanOrEqual(HOUR);
    expect(sent.haproxy.map((s) => s.status)).toEqual([200, 200, 200]);
    expect(sent.apache.map((s) => s.status)).toEqual([200, 200, 200]);
    // The first line's time is the local wall clock: its UTC reading is the offset ahead of the send.
    const hap = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2})\.(\d{3})\]/.exec(logs.haproxy)!;
    expect(hap, logs.haproxy).not.toBeNull();
    const apa = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}) 127\.0\.0\.1 /m.exec(logs.apache)!;
    expect(apa, logs.apache).not.toBeNull();
    expect(Date.parse(`${apa[1]}Z`) - sent.apache[0]!.before).toBeGreaterThan(offsetNow - 2000);
  });

  for (const runtime of RUNTIMES) {
    it(`${runtime}: with timeZone every time is the instant sent and the token is valid; as UTC an hour late and token_expired`, async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      const t = await openTestDatabase(runtime);
      dbs.push(t);
      const read = async (gateway: 'haproxy' | 'apache', zone: string | null) => {
        const source = `${gateway}-${zone ? 'berlin' : 'utc'}`;
        const s = await ingestStream(t.db, [logs[gateway]], { format: gateway, gatewayConfig: configs[gateway], sourceName: source, actor: 'test', timeZone: zone });
        expect(s, JSON.stringify(s.errors)).toMatchObject({ accepted: 3, rejected: 0 });
        const zoneWarning = s.logFormat!.warnings.find((w) => /without a zone/.test(w));
        expect(zoneWarning).toMatch(zone ? /it is read in Europe\/Berlin, the time zone given/ : /it is read as UTC.*--time-zone Europe\/Berlin/);
        const { items } = await listEvents(t.db, parseEventFilters({ source }), {});
        return items.map((e) => ({ at: Date.parse(e.occurredAt), verdict: e.verdict, reason: e.reason })).sort((a, b) => a.at - b.at);
      };
      for (const gateway of ['haproxy', 'apache'] as const) {
        // %tr has milliseconds; Apache's strftime whole seconds.
        const floor = gateway === 'apache' ? (ms: number) => Math.floor(ms / 1000) * 1000 : (ms: number) => ms;
        const zoned = await read(gateway, 'Europe/Berlin');
        expect(zoned.map((e) => [e.verdict, e.reason]), gateway).toEqual(sent[gateway].map(() => ['ok', null]));
        zoned.forEach((e, i) => {
          expect(e.at, `${gateway} #${i}`).toBeGreaterThanOrEqual(floor(sent[gateway][i]!.before));
          expect(e.at, `${gateway} #${i}`).toBeLessThanOrEqual(sent[gateway][i]!.after);
        });
        const utc = await read(gateway, null);
        expect(utc.map((e) => e.at - zoned[utc.indexOf(e)]!.at), gateway).toEqual(sent[gateway].map(() => offsetNow));
        expect(utc.map((e) => [e.verdict, e.reason]), gateway).toEqual(sent[gateway].map(() => ['token_expired', 'accepted_after_expiry']));
      }
    }, 120_000);
  }

  it("the recommended HAProxy frontend logs %trl: Berlin's offset in every line, no zone warning, the instant sent whatever zone is given", async () => {
    expect(sent.recommended.map((s) => s.status)).toEqual([200, 200, 200]);
    const offset = `${offsetNow >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(offsetNow) / HOUR)).padStart(2, '0')}${String((Math.abs(offsetNow) % HOUR) / 60_000).padStart(2, '0')}`;
    const stamps = [...logs.recommended.matchAll(/^127\.0\.0\.1 \[(\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] /gm)];
    expect(stamps.map((m) => m[2]), logs.recommended).toEqual([offset, offset, offset]);
    const t = await openTestDatabase('pglite');
    dbs.push(t);
    for (const zone of [null, 'Europe/Berlin', '+05:00']) {
      const source = `recommended-${zone ?? 'none'}`;
      const s = await ingestStream(t.db, [logs.recommended], { format: 'haproxy', gatewayConfig: configs.recommended, sourceName: source, actor: 'test', timeZone: zone });
      expect(s, JSON.stringify(s.errors)).toMatchObject({ accepted: 3, rejected: 0 });
      expect(s.logFormat!.warnings.filter((w) => /zone/.test(w))).toEqual([]);
      const { items } = await listEvents(t.db, parseEventFilters({ source }), {});
      const rows = items.map((e) => ({ at: Date.parse(e.occurredAt), verdict: e.verdict })).sort((a, b) => a.at - b.at);
      expect(rows.map((r) => r.verdict), source).toEqual(['ok', 'ok', 'ok']);
      // %trl has whole seconds.
      rows.forEach((r, i) => {
        expect(r.at, `${source} #${i}`).toBeGreaterThanOrEqual(Math.floor(sent.recommended[i]!.before / 1000) * 1000);
        expect(r.at, `${source} #${i}`).toBeLessThanOrEqual(sent.recommended[i]!.after);
      });
    }
  });

  it('an unknown time zone is refused before anything is read', async () => {
    const t = await openTestDatabase('pglite');
    dbs.push(t);
    await expect(ingestStream(t.db, [logs.haproxy], { format: 'haproxy', gatewayConfig: configs.haproxy, actor: 'test', timeZone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'bad_request',
      message: 'timeZone must be an IANA time zone such as Europe/Berlin, or a fixed offset such as +02:00',
    });
    const [n] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "IngestBatch"`);
    expect(Number(n!.n)).toBe(0);
  });
});
