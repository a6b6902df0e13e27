// Trust anchors through the real server (scripts/start.mjs) on both runtimes, with a PKI and CRLs
// made by the real openssl and a real Caddy (Debian's caddy, which checks no CRL) as the gateway:
// a CA is added in PEM with its CRL and another in DER; a newer CRL replaces the first, an older
// one is refused (409) and one the CA did not sign is refused (422), both as problem bodies that
// change nothing; an analyst reads the list but cannot add (403). Caddy's access log of a request
// with the revoked certificate, ingested after the CRL was added, is cert_revoked_unchecked in
// GET /api/v1/events (the good certificate's request stays ok); `holdfast trust … --server` gives
// what the same commands give on a local embedded database; DELETE removes an anchor (404 after).
// Skips when caddy is not installed or there is no build, unless CI=true (then it must run).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caddyTestGlobals, findCaddy, startCaddy } from '@/lib/testing/caddy.ts';
import { customCrl, derInteger, generateCrl, makeCa, type TestCa } from '@/lib/testing/crl-pki.ts';
import { createGatewayPki, tlsRequest, type GatewayPki } from '@/lib/testing/gateway-pki.ts';
import { postgresAvailable, RUNTIMES } from '@/lib/testing/databases.ts';
import { freePort, hasBuild, runCli } from '@/lib/testing/processes.ts';
import { httpCaller, startRuntimeServer, type RuntimeServer } from '@/lib/testing/runtime-server.ts';

const CADDY = findCaddy();
const IN_CI = process.env.CI === 'true';
const RUN = (!!CADDY && hasBuild()) || IN_CI;
if (!RUN) console.warn('trust-anchors through-server.test.ts: skipped — needs caddy and a build (next build); set CI=true to make this a failure');

const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const CRL_NUMBER = '2.5.29.20';

interface Anchor {
  id: string;
  subject: string;
  x5tS256: string;
  crl: { number: string | null; entries: number; stale: boolean; thisUpdate: string; nextUpdate: string | null } | null;
  warnings: string[];
}

/** A trust command's JSON without what differs between two databases (ids, when and by whom). */
function comparable(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(comparable);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k]) => !['id', 'createdAt', 'createdBy', 'addedAt', 'addedBy'].includes(k))
      .map(([k, x]) => [k, comparable(x)]),
  );
}

describe.runIf(RUN)('trust anchors through the server, with the real Caddy as the gateway', () => {
  let pki: GatewayPki;
  /** The gateway PKI's CA as crl-pki sees it (it is an `openssl ca` directory too). */
  let gatewayCa: TestCa;
  let derCa: TestCa;
  let caPem = '';
  let crl1Pem = '';
  let crl2Der: Buffer;
  let forged: Buffer;
  let derCaFile = '';
  let caddyLog = '';
  const rid = { revoked: 'rid-revoked', good: 'rid-good' };

  beforeAll(async () => {
    if (!CADDY) throw new Error('CI=true but caddy is not installed: apt-get install -y caddy');
    pki = createGatewayPki('holdfast-trust-server-');
    caPem = readFileSync(pki.caPath, 'utf8');
    gatewayCa = { name: 'gateway', dir: pki.dir, certPath: pki.caPath, keyPath: join(pki.dir, 'ca.key'), subject: 'O=Test,CN=Test Client CA' };
    // crl.pem (CRL number 1) lists `revoked`; a second CRL from the same CA database is number 2.
    crl1Pem = readFileSync(pki.crlPath, 'utf8');
    crl2Der = readFileSync(generateCrl(gatewayCa, 'crl2', { der: true }));
    // A CRL naming the gateway CA as its issuer, with a higher number, signed by another CA's key.
    const impostor = makeCa(pki.dir, 'impostor', { subj: '/CN=Impostor CA/O=Elsewhere' });
    forged = await customCrl(impostor, { issuerFrom: gatewayCa, extensions: [{ oid: CRL_NUMBER, critical: false, der: derInteger(9) }], entries: [] });
    derCa = makeCa(pki.dir, 'der-ca', { subj: '/CN=DER Client CA/O=Test', key: 'rsa' });
    derCaFile = join(pki.dir, 'der-ca.der');
    writeFileSync(derCaFile, Buffer.from(readFileSync(derCa.certPath, 'utf8').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));

    // Caddy verifies client certificates against the CA but has no CRL support: the revoked one passes.
    mkdirSync(join(pki.dir, 'logs'));
    const port = await freePort();
    const caddy = await startCaddy(
      CADDY,
      pki.dir,
      `${caddyTestGlobals(pki.dir)}https://api.test:${port} {
  tls ${pki.serverCertPath} ${pki.serverKeyPath} {
    client_auth {
      mode verify_if_given
      trusted_ca_cert_file ${pki.caPath}
    }
  }
  log {
    output file ${pki.dir}/logs/access.json
    format json
  }
  respond "ok"
}
`,
      [port],
    );
    try {
      for (const client of ['revoked', 'good'] as const) {
        const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: `caller-${client}`, jti: client })}.c2lnLW5vdC1yZWFs`;
        const res = await tlsRequest(pki, { port, path: `/case/${client}`, client, headers: { Authorization: `Bearer ${token}`, 'X-Request-ID': rid[client] } });
        expect(res.status, `${client} through Caddy`).toBe(200);
      }
    } finally {
      await caddy.stop();
    }
    caddyLog = readFileSync(join(pki.dir, 'logs', 'access.json'), 'utf8');
  }, 120_000);

  afterAll(() => pki?.cleanup());

  it('Caddy accepted both certificates and logged a line for each (it checks no CRL)', () => {
    const lines = caddyLog.trim().split('\n').map((l) => JSON.parse(l) as { status: number; request: { uri: string } });
    expect(lines.map((l) => [l.request.uri, l.status])).toEqual([
      ['/case/revoked', 200],
      ['/case/good', 200],
    ]);
  });

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, () => {
      let running: RuntimeServer | undefined;
      let base = '';
      let admin = '';
      let analyst = '';
      let anchorId = '';
      let derAnchorId = '';
      const call = httpCaller(() => base);
      const list = async () => (await call('GET', '/api/v1/trust-anchors', analyst)).json.trustAnchors as Anchor[];

      beforeAll(async () => {
        if (runtime === 'postgres' && !(await postgresAvailable())) {
          if (IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
          return;
        }
        running = await startRuntimeServer(runtime);
        base = running.server.url;
        admin = running.key;
        analyst = (await call('POST', '/api/v1/api-keys', admin, { name: 'reader', role: 'analyst' })).json.key;
      }, 240_000);

      afterAll(async () => running?.stop());

      it('an analyst reads the (empty) list but cannot add a CA: 403 problem', async (ctx) => {
        if (!running) return ctx.skip();
        expect(await list()).toEqual([]);
        const r = await call('POST', '/api/v1/trust-anchors', analyst, { ca: caPem });
        expect(r.status).toBe(403);
        expect(r.type).toBe('application/problem+json');
        expect(await list()).toEqual([]);
      });

      it('POST a CA in PEM with its CRL: 201 with the CA and the CRL; again: 200, nothing new', async (ctx) => {
        if (!running) return ctx.skip();
        const r = await call('POST', '/api/v1/trust-anchors', admin, { ca: caPem, crl: crl1Pem });
        expect(r.status, r.text).toBe(201);
        expect(r.json).toMatchObject({ created: true, ca: { subject: 'O=Test,CN=Test Client CA' }, crlEntries: 1, crlChange: 'added', crl: { number: '1', entries: 1, stale: false } });
        anchorId = r.json.id;
        const again = await call('POST', '/api/v1/trust-anchors', admin, { ca: caPem });
        expect(again.status).toBe(200);
        expect(again.json).toMatchObject({ id: anchorId, created: false });
        expect((await list()).map((a) => [a.id, a.crl?.number])).toEqual([[anchorId, '1']]);
      });

      it('a newer CRL (base64 DER) replaces it; the older one again is a 409 problem; one the CA did not sign is a 422 problem', async (ctx) => {
        if (!running) return ctx.skip();
        const newer = await call('POST', `/api/v1/trust-anchors/${anchorId}/crl`, admin, { crl: crl2Der.toString('base64') });
        expect(newer.status, newer.text).toBe(200);
        expect(newer.json).toMatchObject({ id: anchorId, crlChange: 'replaced', crl: { number: '2', entries: 1 } });

        const older = await call('POST', `/api/v1/trust-anchors/${anchorId}/crl`, admin, { crl: crl1Pem });
        expect(older.status, older.text).toBe(409);
        expect(older.type).toBe('application/problem+json');
        expect(older.json.detail).toMatch(/older than the one Holdfast has/);

        const notSigned = await call('POST', `/api/v1/trust-anchors/${anchorId}/crl`, admin, { crl: forged.toString('base64') });
        expect(notSigned.status, notSigned.text).toBe(422);
        expect(notSigned.type).toBe('application/problem+json');
        expect(notSigned.json.code).toBe('validation_failed');
        expect(notSigned.json.detail).not.toContain('\n');
        expect(notSigned.json.errors).toEqual([expect.objectContaining({ path: 'crl' })]);
        // Neither refusal changed the CRL held.
        expect((await list()).find((a) => a.id === anchorId)?.crl).toMatchObject({ number: '2', entries: 1 });
      });

      it('garbage for a CA, and a CRL of an unknown anchor, are 4xx problems', async (ctx) => {
        if (!running) return ctx.skip();
        const bad = await call('POST', '/api/v1/trust-anchors', admin, { ca: 'not a certificate!' });
        expect(bad.status).toBe(422);
        expect(bad.json.errors).toEqual([expect.objectContaining({ path: 'ca' })]);
        const unknown = await call('POST', '/api/v1/trust-anchors/00000000-0000-4000-8000-000000000000/crl', admin, { crl: crl1Pem });
        expect(unknown.status).toBe(404);
        expect(unknown.type).toBe('application/problem+json');
      });

      it("Caddy's line of the revoked certificate is cert_revoked_unchecked in GET /events; the good one is not", async (ctx) => {
        if (!running) return ctx.skip();
        const r = await call('POST', '/api/v1/ingest?format=caddy&source=caddy-edge', admin, caddyLog, 'text/plain');
        expect(r.status, r.text).toBe(200);
        expect(r.json).toMatchObject({ accepted: 2, rejected: 0 });
        const events = (await call('GET', '/api/v1/events?limit=50', analyst)).json.items as Array<{ verdict: string; reason: string | null; correlationId: string | null; x5tS256: string | null }>;
        const by = Object.fromEntries(events.map((e) => [e.correlationId, [e.verdict, e.reason]]));
        // Caddy logs the certificate's CN and serial, no issuer: the match rests on the serial alone (one anchor's CRL lists it).
        expect(by[rid.revoked]).toEqual(['cert_revoked_unchecked', 'crl_serial_only:unspecified']);
        // Caddy redacts Authorization, so no token is judged: the good certificate's request stays as the gateway decided.
        expect(by[rid.good]).toEqual(['ok', 'binding_unknown']);
        const filtered = (await call('GET', '/api/v1/events?verdict=cert_revoked_unchecked', analyst)).json.items as Array<{ correlationId: string }>;
        expect(filtered.map((e) => e.correlationId)).toEqual([rid.revoked]);
        const cli = await runCli(['events', '--verdict', 'cert_revoked_unchecked', '--json', '--server', base, '--api-key', analyst], { timeoutMs: 120_000 });
        expect(cli.code, cli.stderr).toBe(0);
        expect(cli.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { correlationId: string; reason: string }).reason)).toEqual(['crl_serial_only:unspecified']);
      });

      it('holdfast trust add (a DER CA) / list --server answers what the same commands answer on a local database', async (ctx) => {
        if (!running) return ctx.skip();
        const local = mkdtempSync(join(os.tmpdir(), 'holdfast-trust-local-'));
        try {
          const env = { HOLDFAST_DATA_DIR: join(local, 'data') };
          // An existing directory gets the migrated template cluster (runCli): the first local command
          // then skips PGlite's initdb and every migration, which nothing here is about.
          mkdirSync(env.HOLDFAST_DATA_DIR);
          const both = async (args: string[]) => {
            // Two processes on separate databases (the server's, the local directory's): run side by side.
            const [remote, here] = await Promise.all([
              runCli([...args, '--json', '--server', base, '--api-key', admin], { timeoutMs: 180_000 }),
              runCli([...args, '--json'], { env, timeoutMs: 180_000 }),
            ]);
            expect(remote.code, remote.stderr).toBe(here.code);
            return { remote, here };
          };
          // The local database first gets what the server already holds, so both lists compare.
          const seeded = await runCli(['trust', 'add', '--ca', pki.caPath, '--crl', pki.crlPath, '--json'], { env, timeoutMs: 180_000 });
          expect(seeded.code, seeded.stderr).toBe(0);
          const localId = (JSON.parse(seeded.stdout) as { id: string }).id;
          const crl2File = join(gatewayCa.dir, 'crl2.der');
          expect((await runCli(['trust', 'crl', '--ca-id', localId, '--crl', crl2File, '--json'], { env, timeoutMs: 180_000 })).code).toBe(0);

          const added = await both(['trust', 'add', '--ca', derCaFile]);
          expect(added.remote.code).toBe(0);
          const remoteAdd = JSON.parse(added.remote.stdout) as { id: string; ca: { subject: string; x5tS256: string }; crlEntries: number };
          expect(remoteAdd).toMatchObject({ ca: { subject: 'O=Test,CN=DER Client CA' }, crlEntries: 0 });
          expect(comparable(remoteAdd)).toEqual(comparable(JSON.parse(added.here.stdout)));
          derAnchorId = remoteAdd.id;

          const listed = await both(['trust', 'list']);
          const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Anchor);
          expect(lines(listed.remote.stdout)).toHaveLength(2);
          expect(comparable(lines(listed.remote.stdout))).toEqual(comparable(lines(listed.here.stdout)));
          expect(lines(listed.remote.stdout).map((a) => a.id).sort()).toEqual([anchorId, derAnchorId].sort());

          // The same refusal of the older CRL (each side names its own anchor id): exit 1 and the same reason.
          const [olderRemote, olderHere] = await Promise.all([
            runCli(['trust', 'crl', '--ca-id', anchorId, '--crl', pki.crlPath, '--json', '--server', base, '--api-key', admin], { timeoutMs: 180_000 }),
            runCli(['trust', 'crl', '--ca-id', localId, '--crl', pki.crlPath, '--json'], { env, timeoutMs: 180_000 }),
          ]);
          const older = { remote: olderRemote, here: olderHere };
          expect(older.remote.code, older.remote.stderr).toBe(1);
          expect(older.here.code, older.here.stderr).toBe(1);
          // The same reason; through the server the line also names the HTTP status.
          const reason = (r: { stderr: string }) => r.stderr.trim().split('\n').pop()!.replace(/^holdfast: (server answered 409: )?/, '');
          expect(older.remote.stderr).toMatch(/^holdfast: server answered 409: /m);
          expect(reason(older.remote)).toMatch(/^the CRL is older than the one Holdfast has for O=Test,CN=Test Client CA: its CRL number 1 is lower than the current CRL's 2$/);
          expect(reason(older.remote)).toBe(reason(older.here));
        } finally {
          rmSync(local, { recursive: true, force: true });
        }
      }, 300_000);

      it('DELETE removes an anchor (its CRL with it); again it is a 404; the audit log has every change', async (ctx) => {
        if (!running) return ctx.skip();
        expect((await call('DELETE', `/api/v1/trust-anchors/${derAnchorId}`, analyst)).status).toBe(403);
        const r = await call('DELETE', `/api/v1/trust-anchors/${derAnchorId}`, admin);
        expect(r.status, r.text).toBe(200);
        expect(r.json).toMatchObject({ id: derAnchorId, removed: true, subject: 'O=Test,CN=DER Client CA' });
        expect((await call('DELETE', `/api/v1/trust-anchors/${derAnchorId}`, admin)).status).toBe(404);
        const cli = await runCli(['trust', 'remove', '--id', anchorId, '--json', '--server', base, '--api-key', admin], { timeoutMs: 120_000 });
        expect(cli.code, cli.stderr).toBe(0);
        expect(await list()).toEqual([]);
        const actions = (await call('GET', '/api/v1/audit/entries', admin)).text
          .trim()
          .split('\n')
          .map((l) => (JSON.parse(l) as { action: string }).action)
          .filter((a) => a.startsWith('trust_anchor.'));
        expect(actions).toEqual(['trust_anchor.add', 'trust_anchor.crl', 'trust_anchor.crl', 'trust_anchor.add', 'trust_anchor.remove', 'trust_anchor.remove']);
      });
    });
  }
});
