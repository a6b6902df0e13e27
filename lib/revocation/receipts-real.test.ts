// Revocation receipts from real traffic, on both runtimes. Three real NGINX gateways (the
// recommended njs logging configuration, test CA from openssl) see a certificate-bound token with
// its certificate; its logs are ingested; the token and its certificate are revoked (webhook
// connector, confirmed by the worker); the CA revokes the certificate (openssl ca) and edge-b is
// restarted with the new CRL, edge-a keeps its old one, edge-c sees no more traffic. The same
// client comes back: edge-a lets it through (200), edge-b refuses it (400). Ingesting those logs
// must give, for both legs: edge-a still accepting (critical, linked to replay_after_revocation
// once findings run), edge-b effective, edge-c not seen since — through the service, the OSCAL
// export (schema-valid observations with the receipt), GET /api/v1/revocations/{id} on the real
// server and `holdfast revoke --server`'s output. Skips without nginx (or without a build for the
// server part) unless CI=true.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoggingOnlyNginx, startRecordingUpstream, type RecordingUpstream, type RunningGateway } from '../enforcement/testing/enforcing-nginx.ts';
import { jwt } from '../enforcement/testing/clients.ts';
import { sha256B64url } from '../credentials/fingerprint.ts';
import { evaluateFindings } from '../services/findings/index.ts';
import { exportToFile } from '../services/frameworks/exports.ts';
import { ingestStream } from '../services/ingest/pipeline.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createGatewayPki, type GatewayPki } from '../testing/gateway-pki.ts';
import { findNginx, hasBuild, runCli } from '../testing/processes.ts';
import { startRuntimeServer, type RuntimeServer } from '../testing/runtime-server.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { revocationReceipts, type LegReceipt, type RevocationReceipts } from './receipts.ts';
import { requestRevocation } from './request-revocation.ts';
import { runRevocationWorker } from './run-revocation-worker.ts';
import { startWebhookReceiver, type WebhookReceiver } from './testing/fixtures.ts';
import { OSCAL_SCHEMA_PATH } from '../frameworks/testing/oscal-schema.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
const RUN = !!NGINX || IN_CI;
const RUN_SERVER = (RUN && hasBuild()) || IN_CI;
if (!RUN) console.warn('receipts-real.test.ts: skipped — nginx is not installed; set CI=true to make this a failure');
else if (!RUN_SERVER) console.warn('receipts-real.test.ts: server part skipped — no build (npx next build); set CI=true to make this a failure');

const HMAC = 'receipts-webhook-secret-0001';
const SOURCES = ['edge-a', 'edge-b', 'edge-c'] as const;
type Source = (typeof SOURCES)[number];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A database the scenario runs against: directly (service) or through a real server (API, CLI). */
interface Target {
  name: string;
  ingest(source: Source, text: string): Promise<void>;
  revoke(): Promise<string>;
  receipts(revocationId: string): Promise<RevocationReceipts>;
}

let validateOscal: ((doc: unknown) => boolean) & { errors?: unknown };
function oscalValidator() {
  if (!validateOscal) {
    const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    const schema = OSCAL_SCHEMA_PATH;
    validateOscal = ajv.compile(JSON.parse(readFileSync(schema, 'utf8')) as object) as typeof validateOscal;
  }
  return validateOscal;
}

describe.runIf(RUN)('revocation receipts from real NGINX traffic', { timeout: 600_000 }, () => {
  const key = randomBytes(32);
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let hook: WebhookReceiver;
  let token = '';
  const logs: Record<Source, string> = { 'edge-a': '', 'edge-b': '', 'edge-c': '' };
  /** When each gateway logged the "before" request (NGINX logs whole seconds). */
  const beforeAt: Record<Source, string> = { 'edge-a': '', 'edge-b': '', 'edge-c': '' };
  const after: Record<Source, number[]> = { 'edge-a': [], 'edge-b': [], 'edge-c': [] };
  const direct = new Map<string, TestDatabase>();
  const servers = new Map<string, RuntimeServer>();
  const targets: Target[] = [];
  const revocationOf = new Map<string, string>();
  /** What `holdfast revoke --server --json` printed, per server target. */
  const cliOut = new Map<string, { id: string; state: string; legs: unknown[]; receipts: RevocationReceipts }>();
  let now = new Date();

  function directTarget(runtime: string, t: TestDatabase): Target {
    return {
      name: `service on ${runtime}`,
      async ingest(source, text) {
        const s = await ingestStream(t.db, [text], { format: 'nginx-json', sourceName: source, actor: 'test' });
        expect(s.rejected, JSON.stringify(s.errors)).toBe(0);
      },
      async revoke() {
        const [tok] = await t.db.query<{ id: string }>(`SELECT id::text AS id FROM "Token" WHERE fingerprint = $1`, [sha256B64url(token)]);
        const r = await requestRevocation(t.db, key, { tokenIds: [tok!.id], withCertificate: true, reason: 'key material on a lost laptop', actor: 'user:op@example.com' });
        await runRevocationWorker(t.db, { connectors: dbConnectorResolver(t.db, key), key, workerId: 'receipts-test' });
        return r.id;
      },
      receipts: (id) => revocationReceipts(t.db, id, { now }),
    };
  }

  function serverTarget(runtime: string, s: RuntimeServer): Target {
    const auth = { authorization: `Bearer ${s.key}` };
    const base = s.server.url;
    return {
      name: `server on ${runtime}`,
      async ingest(source, text) {
        const res = await fetch(`${base}/api/v1/ingest?format=nginx-json&source=${source}&findings=wait`, { method: 'POST', headers: { ...auth, 'content-type': 'application/x-ndjson' }, body: text });
        const summary = (await res.json()) as { rejected: number };
        expect([res.status, summary.rejected], JSON.stringify(summary)).toEqual([200, 0]);
      },
      async revoke() {
        const tokens = await fetch(`${base}/api/v1/tokens?limit=50`, { headers: auth }).then((r) => r.json() as Promise<{ items: Array<{ id: string; fingerprint: string }> }>);
        const id = tokens.items.find((x) => x.fingerprint === sha256B64url(token))!.id;
        const r = await runCli(['revoke', '--token-id', id, '--with-certificate', '--reason', 'key material on a lost laptop', '--json', '--server', base, '--api-key', s.key]);
        expect(r.code, r.stderr).toBe(0);
        const out = JSON.parse(r.stdout) as { id: string; state: string; legs: unknown[]; receipts: RevocationReceipts };
        cliOut.set(this.name, out);
        return out.id;
      },
      async receipts(id) {
        const res = await fetch(`${base}/api/v1/revocations/${id}`, { headers: auth });
        expect(res.status).toBe(200);
        return ((await res.json()) as { receipts: RevocationReceipts }).receipts;
      },
    };
  }

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-receipts-');
    upstream = await startRecordingUpstream();
    hook = await startWebhookReceiver(HMAC);
    token = jwt({ client_id: 'svc-a', sub: 'svc-a', jti: 'receipts-1', exp: Math.floor(Date.now() / 1000) + 86_400, cnf: { 'x5t#S256': pki.clients.good.x5t } });
    const connector = { name: 'issuer-and-ca-hook', kind: 'webhook', matchIssuer: '*', matchCa: '*', config: { url: hook.url }, secrets: { hmacSecret: HMAC } } as const;

    for (const runtime of RUNTIMES) {
      if (runtime === 'postgres' && !(await postgresAvailable())) continue;
      const t = await openTestDatabase(runtime);
      direct.set(runtime, t);
      await createConnector(t.db, key, connector, 'test');
      targets.push(directTarget(runtime, t));
      if (!RUN_SERVER) continue;
      const s = await startRuntimeServer(runtime);
      servers.set(runtime, s);
      const res = await fetch(`${s.server.url}/api/v1/connectors`, { method: 'POST', headers: { authorization: `Bearer ${s.key}`, 'content-type': 'application/json' }, body: JSON.stringify(connector) });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
      targets.push(serverTarget(runtime, s));
    }

    // edge-a keeps the CRL it started with; edge-b and edge-c read the CA's.
    const staleCrl = join(pki.dir, 'crl-edge-a.pem');
    copyFileSync(pki.crlPath, staleCrl);
    const logPath = (s: Source) => join(pki.dir, `${s}.log`);
    const gw: Record<Source, RunningGateway> = {
      'edge-a': await startLoggingOnlyNginx(NGINX, pki, 'edge-a', upstream.url, { logPath: logPath('edge-a'), crlPath: staleCrl }),
      'edge-b': await startLoggingOnlyNginx(NGINX, pki, 'edge-b', upstream.url, { logPath: logPath('edge-b') }),
      'edge-c': await startLoggingOnlyNginx(NGINX, pki, 'edge-c', upstream.url, { logPath: logPath('edge-c') }),
    };
    const present = (g: RunningGateway, path: string) => g.request(path, 'good', { Authorization: `Bearer ${token}` });

    // Before: every gateway accepts the token with its certificate.
    for (const s of SOURCES) expect((await present(gw[s], `/${s}/before`)).status).toBe(200);
    for (const s of SOURCES) {
      const text = readFileSync(logPath(s), 'utf8');
      beforeAt[s] = new Date((JSON.parse(text.trim()) as { time: string }).time).toISOString();
      for (const t of targets) await t.ingest(s, text);
    }

    // The revocation, in every target.
    for (const t of targets) revocationOf.set(t.name, await t.revoke());
    // The CA revokes the certificate; edge-b restarts with the new CRL (NGINX reads ssl_crl at start).
    const ca = (...args: string[]) => execFileSync('openssl', ['ca', '-batch', '-config', join(pki.dir, 'ca.cnf'), ...args], { cwd: pki.dir, stdio: 'ignore' });
    ca('-revoke', pki.clients.good.certPath);
    ca('-gencrl', '-out', pki.crlPath);
    await gw['edge-b'].stop();
    gw['edge-b'] = await startLoggingOnlyNginx(NGINX, pki, 'edge-b-restarted', upstream.url, { logPath: logPath('edge-b') });
    // NGINX logs whole seconds: the requests after must fall in a later second than every revocation.
    await sleep(1100);

    for (const s of ['edge-a', 'edge-b'] as const) {
      for (const i of [1, 2]) after[s].push((await present(gw[s], `/${s}/after-${i}`)).status);
    }
    for (const s of SOURCES) logs[s] = await gw[s].stop();
    for (const s of SOURCES) for (const t of targets) await t.ingest(s, logs[s]);
    now = new Date();
  }, 600_000);

  afterAll(async () => {
    for (const s of servers.values()) await s.stop();
    for (const t of direct.values()) await t.drop();
    await hook?.close();
    await upstream?.close();
    pki?.cleanup();
  });

  it('the gateways did what the story says: edge-a still lets the client in, edge-b refuses its revoked certificate', () => {
    expect(after).toEqual({ 'edge-a': [200, 200], 'edge-b': [400, 400], 'edge-c': [] });
    expect(logs['edge-b']).toContain('FAILED:certificate revoked');
  });

  /** The points of a leg as [source, status, accepted after, refused after, last accepted before]. */
  const summary = (leg: LegReceipt) => leg.points.map((p) => [p.source, p.status, p.requestsAfter.accepted, p.requestsAfter.refused, p.lastAcceptedBefore]);
  const want = () => [
    ['edge-a', 'still_accepting', 2, 0, beforeAt['edge-a']],
    ['edge-b', 'effective', 0, 2, beforeAt['edge-b']],
    ['edge-c', 'not_seen_since', 0, 0, beforeAt['edge-c']],
  ];

  it('every target: both legs say edge-a still accepting, edge-b effective, edge-c not seen since (with how long)', async () => {
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      const r = await t.receipts(revocationOf.get(t.name)!);
      expect(r.legs.map((l) => l.kind), t.name).toEqual(['token', 'certificate']);
      for (const leg of r.legs) {
        expect(summary(leg), `${t.name} ${leg.kind}`).toEqual(want());
        expect(leg.summary, `${t.name} ${leg.kind}`).toEqual({ points: 3, effective: 1, stillAccepting: 1, notSeenSince: 1, awaitingConfirmation: 0 });
        expect(leg.confirmedAt, t.name).not.toBeNull();
        const [a, b, c] = leg.points;
        expect([a!.severity, b!.severity, c!.severity]).toEqual(['critical', null, null]);
        expect(a!.requestsAfter.lastAcceptedAt! > leg.revokedAt).toBe(true);
        expect(b!.requestsAfter.lastAt! > leg.revokedAt).toBe(true);
        // The service's clock is this test's; the server measures to its own, a little later.
        const notSeen = Math.floor((Date.parse(r.computedAt) - Date.parse(beforeAt['edge-c'])) / 1000);
        expect(c!.notSeenForSeconds, t.name).toBe(notSeen);
        expect(c!.lastSeenAt).toBe(beforeAt['edge-c']);
      }
    }
  });

  it('holdfast revoke --server prints the contract fields and the receipts as they stood then: every gateway not seen since', () => {
    if (!RUN_SERVER) return;
    expect(cliOut.size).toBe(servers.size);
    for (const [name, out] of cliOut) {
      expect(out.state, name).toBe('confirmed');
      expect(out.legs).toEqual([
        { kind: 'token', state: 'confirmed', attempts: 1, lastError: null },
        { kind: 'certificate', state: 'confirmed', attempts: 1, lastError: null },
      ]);
      for (const leg of out.receipts.legs) {
        expect(leg.points.map((p) => [p.source, p.status, p.lastAcceptedBefore]), name).toEqual(SOURCES.map((s) => [s, 'not_seen_since', beforeAt[s]]));
      }
    }
  });

  for (const runtime of RUNTIMES) {
    it(`on ${runtime}: once findings run, edge-a's receipt links the critical replay_after_revocation finding`, async (ctx) => {
      const t = direct.get(runtime);
      if (!t) return ctx.skip();
      const id = revocationOf.get(`service on ${runtime}`)!;
      await evaluateFindings(t.db, { actor: 'test' });
      const r = await revocationReceipts(t.db, id, { now });
      for (const leg of r.legs) {
        expect(leg.points[0]!.finding, leg.kind).toMatchObject({ rule: 'replay_after_revocation', severity: 'critical', status: 'open' });
        expect(leg.points.slice(1).map((p) => p.finding)).toEqual([null, null]);
      }
    });

    it(`on ${runtime}: the OSCAL export carries one observation per leg and gateway with the receipt, valid against NIST's 1.0.4 schema`, async (ctx) => {
      const t = direct.get(runtime);
      if (!t) return ctx.skip();
      const file = join(pki.dir, `export-${runtime}.oscal.json`);
      await exportToFile(t.db, { framework: 'nist-csf-2.0', format: 'oscal', actor: 'user:auditor@example.com', file });
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { 'assessment-results': { results: Array<{ observations: Array<{ title: string; props: Array<{ name: string; value: string }> }> }> } };
      const v = oscalValidator();
      expect(v(doc), JSON.stringify(v.errors)).toBe(true);
      const receipts = doc['assessment-results'].results[0]!.observations.filter((o) => o.props.some((p) => p.name === 'evidence-kind' && p.value === 'revocation-receipt'));
      const facts = receipts.map((o) => Object.fromEntries(o.props.map((p) => [p.name, p.value])));
      expect(facts.map((f) => [f['revoked-credential'], f['enforcement-point'], f['receipt-status'], f.result, f['accepted-after'], f['refused-after']]).sort()).toEqual(
        [
          ['certificate', 'edge-a', 'still_accepting', 'fail', '2', '0'],
          ['certificate', 'edge-b', 'effective', 'pass', '0', '2'],
          ['certificate', 'edge-c', 'not_seen_since', 'pass', '0', '0'],
          ['token', 'edge-a', 'still_accepting', 'fail', '2', '0'],
          ['token', 'edge-b', 'effective', 'pass', '0', '2'],
          ['token', 'edge-c', 'not_seen_since', 'pass', '0', '0'],
        ].sort(),
      );
      expect(facts.every((f) => f['revocation-id'] === revocationOf.get(`service on ${runtime}`))).toBe(true);
      expect(readFileSync(file, 'utf8')).not.toContain(token.split('.')[1]!);
    });
  }
});
