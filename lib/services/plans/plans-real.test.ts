// Saved plans on real traffic, on both runtimes: the recommended logging-only NGINX carries the
// enforcement scenario's clients (a legitimate bound client, a stolen token replayed with another
// certificate, a bound token without its certificate, a bearer token from a client that presents a
// certificate); the plan built from that evidence puts each identity in its wave; the wave's NGINX
// configuration, downloaded as text, is applied to a real NGINX (main context, http block and njs
// files cut from the download exactly as a user would paste them); the same clients go through it,
// its log is ingested, and the plan's progress moves: the waves' traffic is refused or compliant.
// Exports: CSV, JSON, PDF (text read back with pdftotext). A plan scoped by source, audience or
// privileged tokens counts exactly the requests the simulation of the same scope counts, and its
// progress only that scope's traffic. Skips without nginx, unless CI=true.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MTLS_CLIENTS, mtlsTokens } from '../../enforcement/testing/clients.ts';
import { startLoggingOnlyNginx, startRecordingUpstream, type RecordingUpstream } from '../../enforcement/testing/enforcing-nginx.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '../../testing/gateway-pki.ts';
import { startNginx } from '../../testing/nginx-launch.ts';
import { findNginx, freePort } from '../../testing/processes.ts';
import { parsePolicy, type PolicyInput } from '../../simulate/index.ts';
import { ingestStream } from '../ingest/pipeline.ts';
import { hourRange, runSimulation } from '../simulation/index.ts';
import { createPlan, exportPlan, getPlan, listPlans, planWaveAuthorizationServerConfig, planWaveGatewayConfig } from './index.ts';

const NGINX = findNginx();
const IN_CI = process.env.CI === 'true';
const describeReal = NGINX || IN_CI ? describe : describe.skip;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The downloaded text cut into what goes where: `# ==== main context …`, `# ==== http block ====`, `# ==== file PATH ====`. */
export function cutDownload(text: string): { main: string; http: string; files: { path: string; content: string }[] } {
  const parts = text.split(/^# ==== (.+?) ====\n/m);
  const out = { main: '', http: '', files: [] as { path: string; content: string }[] };
  for (let i = 1; i < parts.length; i += 2) {
    const title = parts[i]!;
    const body = parts[i + 1] ?? '';
    if (title.startsWith('main context')) out.main = body;
    else if (title === 'http block') out.http = body;
    else if (title.startsWith('file ')) out.files.push({ path: title.slice(5), content: body });
  }
  return out;
}

describeReal('rollout plans on real NGINX traffic', () => {
  let pki: GatewayPki;
  let upstream: RecordingUpstream;
  let tokens: { bound: string; bearer: string };
  let beforeLog = '';
  /** The same clients through another logging-only gateway after the plan, twice, ingested as source edge-b. */
  let laterLog = '';
  const LATER_ROUNDS = 2;
  let planned: Date;

  async function drive(port: number, prefix = ''): Promise<number[]> {
    const statuses: number[] = [];
    for (const c of MTLS_CLIENTS) {
      const r = await tlsRequest(pki, { port, path: `${prefix}${c.path}`, client: c.cert, headers: { Authorization: `Bearer ${tokens[c.token]}` } });
      statuses.push(r.status);
    }
    return statuses;
  }

  beforeAll(async () => {
    if (!NGINX) throw new Error('CI=true but nginx is not installed');
    pki = createGatewayPki('holdfast-plan-');
    upstream = await startRecordingUpstream();
    tokens = mtlsTokens(pki.clients.good.x5t);
    const before = await startLoggingOnlyNginx(NGINX, pki, 'before', upstream.url);
    expect(await drive(before.port)).toEqual([200, 200, 200, 200]);
    beforeLog = await before.stop();
    // The plan is saved between the two pictures; log times are whole seconds.
    await sleep(1100);
    planned = new Date();
    await sleep(1100);
    const later = await startLoggingOnlyNginx(NGINX, pki, 'later', upstream.url);
    for (let i = 0; i < LATER_ROUNDS; i++) expect(await drive(later.port)).toEqual([200, 200, 200, 200]);
    laterLog = await later.stop();
  }, 60_000);

  afterAll(async () => {
    await upstream?.close();
    pki?.cleanup();
  });

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, () => {
      let t: TestDatabase | undefined;
      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) return;
        t = await openTestDatabase(runtime);
        const n = beforeLog.split('\n').filter(Boolean).length;
        expect(await ingestStream(t.db, [beforeLog], { format: 'nginx-json', sourceName: 'edge', actor: 'test' })).toMatchObject({ accepted: n, rejected: 0 });
      }, 60_000);
      afterAll(async () => t?.drop());

      it('builds the plan, applies wave 2\'s downloaded NGINX configuration to a real NGINX, and the ingested log shows the waves enforced', async (ctx) => {
        if (!t) return ctx.skip();
        const db = t.db;
        const from = new Date(planned.getTime() - 3_600_000);
        const saved = await createPlan(db, { policy: { require: 'mtls', scope: { routePrefix: 'api.test/api' } }, from, to: planned, actor: 'user:op@example.com', now: () => planned });
        expect(saved.waves.map((w) => w.identities)).toEqual([0, 1, 1, 0]);
        const plan = (await getPlan(db, saved.id, planned)).plan;
        const who = plan.waves.map((w) => w.identities.map((i) => [i.name, i.reason, i.requests.attacksStopped, i.requests.legitimateBroken]));
        expect(who).toEqual([[], [['svc-legacy', 'already_presents_key', 0, 1]], [['svc-a', 'needs_key_material', 1, 1]], []]);
        expect(plan.waves[2]!.identities[0]!.brokenBy.boundWithoutProof).toBe(1);
        expect(plan.waves[1]!.identities[0]!.brokenBy.bearerWithCertificate).toBe(1);

        // Nothing since the plan yet: every wave not seen.
        const idle = await getPlan(db, saved.id, new Date());
        expect(idle.progress.waves.map((w) => [w.notSeen, w.enforced])).toEqual([[0, false], [1, false], [1, false], [0, false]]);

        const port = await freePort();
        const logPath = join(pki.dir, `plan-${runtime}.log`);
        const download = await planWaveGatewayConfig(db, saved.id, 2, {
          gateway: 'nginx', upstream: upstream.url, logPath, listen: `127.0.0.1:${port}`, njsDir: pki.dir,
          tls: { certificate: pki.serverCertPath, certificateKey: pki.serverKeyPath, clientCa: pki.caPath, crl: pki.crlPath },
        });
        expect(download.filename).toMatch(/^holdfast-plan-[0-9a-f]{8}-wave-2-nginx\.conf$/);
        expect(download.text).toContain('# For: svc-a');
        const cut = cutDownload(download.text);
        expect(cut.files).toHaveLength(2);
        for (const f of cut.files) writeFileSync(f.path, f.content);
        const nginx = await startNginx(NGINX!, pki.dir, `plan-${runtime}`, cut.http, [port], cut.main);
        let statuses: number[];
        try {
          statuses = await drive(port);
        } finally {
          await nginx.stop();
        }
        expect(statuses).toEqual(MTLS_CLIENTS.map((c) => c.enforced.status));
        const enforcedLog = readFileSync(logPath, 'utf8');
        const n = enforcedLog.split('\n').filter(Boolean).length;
        expect(n).toBe(MTLS_CLIENTS.length);
        expect(await ingestStream(db, [enforcedLog], { format: 'nginx-json', sourceName: 'edge', actor: 'test' })).toMatchObject({ accepted: n, rejected: 0 });

        const after = await getPlan(db, saved.id, new Date());
        const w = (k: number) => after.progress.waves[k]!;
        expect(w(1)).toMatchObject({ identities: 1, notSeen: 0, requests: { total: 1, wouldBeRefused: 0, refusedByGateway: 1 }, ratio: 1, enforced: true });
        // ok requests are read from hourly usage rows: the legitimate client's request before the plan
        // shares its hour row with the one after, so the plan's hour counts whole (2 compliant).
        expect(w(2)).toMatchObject({ identities: 1, notSeen: 0, compliant: 1, requests: { total: 4, compliant: 2, wouldBeRefused: 0, refusedByGateway: 2 }, ratio: 1, enforced: true });
        expect(after.history.at(-1)!.waves.filter((x) => x.enforced).map((x) => x.wave)).toEqual([1, 2]);
      }, 60_000);

      it('lists the plan, refuses wave 3 and a bad option, writes AS snippets and exports CSV, JSON and PDF', async (ctx) => {
        if (!t) return ctx.skip();
        const db = t.db;
        const [s] = await listPlans(db);
        expect(s).toMatchObject({ name: 'Require mtls on route api.test/api', createdBy: 'user:op@example.com' });
        await expect(planWaveGatewayConfig(db, s!.id, 3, { gateway: 'nginx' })).rejects.toMatchObject({ code: 'validation_failed' });
        await expect(planWaveGatewayConfig(db, s!.id, 1, { gateway: 'haproxy', logPath: 'relative.log' })).rejects.toMatchObject({ code: 'validation_failed', message: expect.stringContaining('logPath') });
        await expect(getPlan(db, '00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ code: 'not_found' });
        expect((await planWaveAuthorizationServerConfig(db, s!.id, 1, 'keycloak')).text).toContain(`clientId='svc-legacy'`);
        expect((await planWaveAuthorizationServerConfig(db, s!.id, 2, 'oidc-provider')).text).toContain('{ client_id: "svc-a", tls_client_certificate_bound_access_tokens: true');

        const csv = await exportPlan(db, s!.id, 'csv', 'user:aud@example.com');
        expect(String(csv.body).split('\r\n')[1]).toMatch(/^1,Authorization server change only,svc-legacy,/);
        const json = JSON.parse(String((await exportPlan(db, s!.id, 'json', 'user:aud@example.com')).body)) as { plan: { waves: unknown[] }; progress: { waves: { enforced: boolean }[] } };
        expect(json.plan.waves).toHaveLength(4);
        expect(json.progress.waves.map((x) => x.enforced)).toEqual([false, true, true, false]);
        const pdf = await exportPlan(db, s!.id, 'pdf', 'user:aud@example.com');
        const dir = mkdtempSync(join(tmpdir(), 'holdfast-plan-pdf-'));
        writeFileSync(join(dir, 'plan.pdf'), pdf.body);
        const text = execFileSync('pdftotext', ['-layout', join(dir, 'plan.pdf'), '-'], { encoding: 'utf8' });
        expect(text).toContain('Rollout plan: Require mtls on route api.test/api');
        expect(text).toContain('Wave 1: Authorization server change only (1 identities)');
        expect(text).toMatch(/svc-a \(\w+\): 2 would be refused of 3/);
        expect(text).toContain('enforced');

        const audit = await db.prisma.auditEntry.findMany({ where: { action: 'plan.create' } });
        expect(audit).toHaveLength(1);
        expect(audit[0]!.target).toBe(`plan:${s!.id}`);
      }, 60_000);

      it('a plan scoped by source, audience or privileged tokens counts the requests the simulation of that scope counts, and tracks only that scope', async (ctx) => {
        if (!t) return ctx.skip();
        const db = t.db;
        const n = laterLog.split('\n').filter(Boolean).length;
        expect(await ingestStream(db, [laterLog], { format: 'nginx-json', sourceName: 'edge-b', actor: 'test' })).toMatchObject({ accepted: n, rejected: 0 });
        // The access log carries neither an audience nor a privilege class (an inventory would): set them on the tokens.
        await db.query(`UPDATE "Token" t SET audience = ARRAY['orders-api'] FROM "Identity" i WHERE i.id = t."identityId" AND i.name = 'svc-a'`);
        await db.query(`UPDATE "Token" t SET privileged = true FROM "Identity" i WHERE i.id = t."identityId" AND i.name = 'svc-legacy'`);

        // Every request so far: before (1 round, edge), enforced (1 round, edge, the first test), later (2 rounds, edge-b).
        // svc-a sends 3 of the 4 clients' requests per round, svc-legacy 1.
        const range = hourRange(new Date(planned.getTime() - 2 * 3_600_000), new Date(Date.now() + 3_600_000));
        const cases: { scope: PolicyInput['scope']; expected: Record<string, number> }[] = [
          { scope: { source: 'edge-b' }, expected: { 'svc-a': 3 * LATER_ROUNDS, 'svc-legacy': LATER_ROUNDS } },
          { scope: { audience: 'orders-api' }, expected: { 'svc-a': 3 * (2 + LATER_ROUNDS) } },
          { scope: { identity: { privileged: true } }, expected: { 'svc-legacy': 2 + LATER_ROUNDS } },
          { scope: { source: 'edge', identity: { privileged: false } }, expected: { 'svc-a': 3 * 2 } },
        ];
        for (const { scope, expected } of cases) {
          const policy = { require: 'mtls' as const, scope };
          const saved = await createPlan(db, { policy, from: range.from, to: range.to, actor: 'test' });
          const plan = (await getPlan(db, saved.id)).plan;
          expect(plan.policy).toEqual(parsePolicy(policy));
          const sim = await runSimulation(db, { policy: parsePolicy(policy), range });
          const planned = Object.fromEntries(plan.waves.flatMap((w) => w.identities).map((i) => [i.name, i.requests]));
          const simulated = Object.fromEntries(sim.identities.map((i) => [i.name, { total: i.total, wouldBeRefused: i.wouldBeRefused, attacksStopped: i.attacksStopped, legitimateBroken: i.legitimateBroken, alreadyRefused: i.alreadyRefused, alreadyInvalid: i.alreadyInvalid, unknown: i.unknown, sameAttackOtherHops: i.sameAttackOtherHops }]));
          expect(Object.fromEntries(Object.entries(planned).map(([k, v]) => [k, v.total])), JSON.stringify(scope)).toEqual(expected);
          expect(planned, JSON.stringify(scope)).toEqual(simulated);
          expect(saved.totals).toMatchObject({ requests: sim.requests.total, wouldBeRefused: sim.requests.wouldBeRefused, attacksStopped: sim.requests.attacksStopped, legitimateBroken: sim.requests.legitimateBroken });
        }

        // Progress reads the same scope: svc-legacy's privileged bearer token on edge was refused by the enforcing
        // gateway after the plan; its accepted requests through edge-b are another source's and do not count.
        const saved = await createPlan(db, { policy: { require: 'mtls', scope: { source: 'edge', identity: { privileged: true } } }, from: new Date(planned.getTime() - 3_600_000), to: planned, actor: 'test', now: () => planned });
        expect(saved.waves.map((w) => w.identities)).toEqual([0, 1, 0, 0]);
        const progress = (await getPlan(db, saved.id)).progress;
        expect(progress.waves[1]).toMatchObject({ identities: 1, notSeen: 0, requests: { total: 1, wouldBeRefused: 0, refusedByGateway: 1 }, enforced: true });
        // The scope travels with the plan: exports and the gateway configuration state it.
        const csv = String((await exportPlan(db, saved.id, 'csv', 'test')).body).split('\r\n');
        expect(csv[1]).toMatch(/,mtls,,"source edge, privileged tokens"$/);
        const json = JSON.parse(String((await exportPlan(db, saved.id, 'json', 'test')).body)) as { plan: { policy: unknown } };
        expect(json.plan.policy).toEqual({ require: 'mtls', scope: { source: 'edge', identity: { privileged: true } } });
        const dir = mkdtempSync(join(tmpdir(), 'holdfast-plan-pdf-'));
        writeFileSync(join(dir, 'scoped.pdf'), (await exportPlan(db, saved.id, 'pdf', 'test')).body);
        const text = execFileSync('pdftotext', [join(dir, 'scoped.pdf'), '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
        expect(text).toContain('Policy: require mtls; scope: source edge, privileged tokens');
        expect(text).toContain('scoped by route only: the source edge, privileged tokens chose which identities are in the waves');
        expect((await planWaveGatewayConfig(db, saved.id, 1, { gateway: 'nginx' })).text).toContain("# The plan's source edge, privileged tokens chose the identities of its waves: this configuration does not check them");
        const unscoped = await createPlan(db, { policy: { require: 'mtls', scope: { identity: { privileged: true } } }, from: new Date(planned.getTime() - 3_600_000), to: planned, actor: 'test', now: () => planned });
        expect((await getPlan(db, unscoped.id)).progress.waves[1]).toMatchObject({ requests: { total: 1 + LATER_ROUNDS, wouldBeRefused: LATER_ROUNDS, refusedByGateway: 1 }, enforced: false });
      }, 60_000);
    });
  }
});
