// Retrying a revocation leg with the raw token, through the real server (scripts/start.mjs, its
// own revocation worker) on both runtimes, against a real oidc-provider over TLS (RFC 7009 +
// RFC 7662) whose revocation endpoint first answers 500, then works. Holdfast knows the token by
// its fingerprint only (an inventory row), so the leg fails at once and says it needs the raw
// token; a raw token of another fingerprint is a 422 problem that changes nothing; the right one
// is sealed into the leg, tried against the failing AS (in progress, HTTP 500), then confirmed
// once the AS works; the AS's introspection says inactive and the token reads revoked. The raw
// token is nowhere in the database (a dump of it, or PGlite's files) nor in the server's output.
// Skips when there is no build, unless CI=true (then it must run).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprintToken } from '@/lib/credentials/fingerprint.ts';
import { startOidcPeer, type OidcPeer } from '@/lib/revocation/testing/oidc-peer.ts';
import { postgresAvailable, RUNTIMES } from '@/lib/testing/databases.ts';
import { hasBuild } from '@/lib/testing/processes.ts';
import { httpCaller, startRuntimeServer, type HttpAnswer, type RuntimeServer } from '@/lib/testing/runtime-server.ts';

const IN_CI = process.env.CI === 'true';
const RUN = hasBuild() || IN_CI;
if (!RUN) console.warn('revocation retry through-server.test.ts: skipped — needs a build (next build); set CI=true to make this a failure');

/** Every file under dir, read whole (PGlite's data directory: heap, WAL). */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [readFileSync(p)];
  });
}

describe.runIf(RUN)('retry of a failed revocation leg with the raw token, through the server', () => {
  let peer: OidcPeer;

  beforeAll(async () => {
    peer = await startOidcPeer();
  }, 60_000);
  afterAll(async () => peer?.close());

  for (const runtime of RUNTIMES) {
    describe(`on ${runtime}`, async () => {
      const available = runtime === 'pglite' || (await postgresAvailable());
      if (!available && IN_CI) throw new Error('CI=true but PostgreSQL is not reachable');
      let running: RuntimeServer | undefined;
      let base = '';
      const call = httpCaller(() => base);
      const admin = () => running!.key;
      const revocation = async (id: string) => (await call('GET', `/api/v1/revocations/${id}`, admin())).json;
      /** Polls the revocation (the server's worker runs every 2 s) until `done` holds for its token leg. */
      const until = async (id: string, done: (leg: { state: string; attempts: number; lastError: string | null; needsRawToken: boolean }) => boolean, what: string) => {
        const deadline = Date.now() + 60_000;
        for (;;) {
          const r = await revocation(id);
          const leg = r.legs.find((l: { kind: string }) => l.kind === 'token');
          if (leg && done(leg)) return { revocation: r, leg };
          if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(r)}`);
          await new Promise((res) => setTimeout(res, 300));
        }
      };

      beforeAll(async () => {
        if (!available) return;
        running = await startRuntimeServer(runtime);
        base = running.server.url;
        const c = await call('POST', '/api/v1/connectors', admin(), {
          name: 'as', kind: 'oauth', matchIssuer: peer.issuer,
          config: { revocationEndpoint: peer.revocationEndpoint, introspectionEndpoint: peer.introspectionEndpoint, clientId: peer.holdfastClient.clientId, authMethod: 'client_secret_basic', caPem: peer.caPem },
          secrets: { clientSecret: peer.holdfastClient.clientSecret },
        });
        expect(c.status, c.text).toBe(201);
      }, 240_000);
      afterAll(async () => running?.stop(), 60_000);

      it.skipIf(!available)('the leg needs the raw token; another token is a 422; the right one confirms once the AS works, and is kept nowhere', async () => {
        const raw = await peer.grant();
        const other = await peer.grant();
        // Holdfast knows the token by its fingerprint only (never the raw token).
        const fp = fingerprintToken(raw);
        const inventory = `nhi,fingerprint,issuer,binding\nsvc-retry-${runtime},${fp},${peer.issuer},bearer\n`;
        const ingested = await call('POST', '/api/v1/ingest?format=inventory-csv', admin(), inventory, 'text/csv');
        expect(ingested.status, ingested.text).toBe(200);
        const tokens = await call('GET', '/api/v1/tokens?limit=500', admin());
        const token = tokens.json.items.find((t: { fingerprint: string }) => t.fingerprint === fp);
        expect(token).toBeTruthy();

        peer.faults.revocation = '500';
        const asked = await call('POST', '/api/v1/revocations', admin(), { tokenIds: [token.id], reason: 'leaked in a ticket' });
        expect(asked.status, asked.text).toBe(202);
        const id = asked.json.id as string;
        const failed = await until(id, (l) => l.state === 'failed', 'the leg without the raw token');
        expect(failed.leg).toMatchObject({ needsRawToken: true, lastError: expect.stringMatching(/needs the raw token/) });
        expect(failed.revocation.state).toBe('failed');

        // A raw token of another fingerprint: a problem body, nothing changed.
        const wrong: HttpAnswer = await call('POST', `/api/v1/revocations/${id}/retry`, admin(), { rawToken: other });
        expect(wrong.status).toBe(422);
        expect(wrong.type).toMatch(/^application\/problem\+json/);
        expect(wrong.json).toMatchObject({ code: 'validation_failed' });
        expect(wrong.text).not.toContain(other);
        expect((await revocation(id)).legs[0]).toMatchObject({ state: 'failed', needsRawToken: true });

        // The right one, while the AS answers 500: sealed into the leg, tried, retried with backoff.
        const calls = peer.calls.revocation;
        const retried = await call('POST', `/api/v1/revocations/${id}/retry`, admin(), { rawToken: raw });
        expect(retried.status, retried.text).toBe(200);
        expect(retried.json.legs[0]).toMatchObject({ needsRawToken: false });
        expect(retried.text).not.toContain(raw);
        // (While the worker holds the leg it still shows the previous error: wait for the AS's answer.)
        const tried = await until(id, (l) => /HTTP 500/.test(l.lastError ?? ''), 'the leg against the failing AS');
        expect(tried.leg).toMatchObject({ state: 'in_progress', needsRawToken: false });
        expect(peer.calls.revocation).toBeGreaterThan(calls);
        expect(await peer.activeAtAs(raw)).toBe(true);

        // The AS works again: the next attempt revokes, introspection confirms.
        peer.faults.revocation = 'ok';
        const confirmed = await until(id, (l) => l.state === 'confirmed', 'the leg once the AS works');
        expect(confirmed.revocation.state).toBe('confirmed');
        expect(await peer.activeAtAs(raw)).toBe(false);
        const detail = await call('GET', `/api/v1/tokens/${token.id}`, admin());
        expect(detail.json.token).toMatchObject({ status: 'revoked', state: 'revoked', revocation: { state: 'confirmed', revocationId: id } });

        // Nowhere kept: not in the audit log, the database, nor what the server printed.
        const audit = await call('GET', '/api/v1/audit/entries', admin());
        expect(audit.status).toBe(200);
        expect(audit.text).toContain('revocation.retry');
        expect(audit.text).not.toContain(raw);
        expect(running!.server.output()).not.toContain(raw);
        expect(running!.server.output()).not.toContain(other);
        if (runtime === 'postgres') {
          const dump = execFileSync('pg_dump', ['--no-owner', '--data-only', running!.databaseUrl!], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
          expect(dump).toContain(fp);
          expect(dump).not.toContain(raw);
          expect(dump).not.toContain(other);
        } else {
          // PGlite writes its pages and WAL under the data directory: stop the server so all is on disk.
          await running!.server.stop();
          const files = filesUnder(running!.dataDir);
          expect(files.some((f) => f.includes(fp))).toBe(true);
          expect(files.some((f) => f.includes(raw))).toBe(false);
          expect(files.some((f) => f.includes(other))).toBe(false);
        }
      }, 180_000);
    });
  }
});
