// The revocation job on both runtimes: decision + legs + audit in one transaction, a worker
// that carries legs to a signed webhook (tokens) and the built-in CRL publisher (certificate),
// retries with backoff when the peer fails or hangs, and confirms only what the peer confirmed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/verify-audit-chain.ts';
import { createPki, type OpensslPki } from '../binding/testing/openssl.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { crlListsSerial, readPublishedCrl } from './crl-publisher.ts';
import { requestRevocation } from './request-revocation.ts';
import { runRevocationWorker, type RevocationWorkerOptions } from './run-revocation-worker.ts';
import { makeCertificate, makeIdentity, makeToken, startWebhookReceiver, type WebhookReceiver } from './testing/fixtures.ts';

const key = randomBytes(32);
const HMAC = 'webhook-secret-0123456789';

for (const runtime of RUNTIMES) {
  describe(`revocation job on ${runtime}`, async () => {
    const available = runtime === 'pglite' || (await postgresAvailable());
    let t: TestDatabase;
    let pki: OpensslPki;
    let ca: { cert: string; key: string };
    let hook: WebhookReceiver;
    const worker = (extra: Partial<RevocationWorkerOptions> = {}): RevocationWorkerOptions => ({
      connectors: dbConnectorResolver(t.db, key),
      key,
      workerId: 'w1',
      baseDelayMs: 1,
      maxDelayMs: 5,
      // Generous: the shared 2-core machines run at load 15+; the hang case sets its own.
      timeoutMs: 8000,
      ...extra,
    });
    const drain = async (opts: RevocationWorkerOptions, rounds = 20) => {
      for (let i = 0; i < rounds; i++) {
        const p = await runRevocationWorker(t.db, opts);
        if (p.claimed === 0) {
          const due = await t.db.prisma.revocationLeg.count({ where: { state: { in: ['pending', 'in_progress'] } } });
          if (!due) return;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };

    beforeAll(async () => {
      if (!available) return;
      t = await openTestDatabase(runtime);
      pki = createPki();
      ca = pki.makeCa('job-ca');
      hook = await startWebhookReceiver(HMAC);
      await createConnector(t.db, key, { name: 'hook', kind: 'webhook', matchIssuer: '*', config: { url: hook.url }, secrets: { hmacSecret: HMAC } }, 'test');
      await createConnector(t.db, key, { name: 'crl', kind: 'crl', config: { caName: 'job-ca', caCertPem: pki.read(ca.cert) }, secrets: { caKeyPem: pki.read(ca.key) } }, 'test');
    });
    afterAll(async () => {
      await hook?.close();
      pki?.cleanup();
      await t?.drop();
    });

    it.skipIf(!available)('stores connector secrets sealed, never in clear', async () => {
      const rows = await t.db.query<{ config: unknown; sealedSecrets: string }>(`SELECT config, "sealedSecrets" FROM "Connector"`);
      const dump = JSON.stringify(rows);
      expect(dump).not.toContain(HMAC);
      expect(dump).not.toContain('PRIVATE KEY');
      expect(rows.every((r) => r.sealedSecrets.startsWith('v1.'))).toBe(true);
    });

    it.skipIf(!available)('token + bound certificate: one transaction records the decision (certificate marked revoked at once, tokens once confirmed); the worker confirms both legs; the CRL lists the serial', async () => {
      hook.mode = 'ok';
      hook.calls.length = 0;
      const id = await makeIdentity(t.db);
      const leaf = pki.makeLeaf(`leaf-${randomBytes(3).toString('hex')}`, ca);
      const cert = await makeCertificate(t.db, id.id, pki.read(leaf.cert), 'job-ca');
      const { token } = await makeToken(t.db, id.id, { certificateId: cert.id, x5t: cert.x5tS256 });
      const { token: sibling } = await makeToken(t.db, id.id, { x5t: cert.x5tS256, binding: 'mtls' });

      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], withCertificate: true, reason: 'leaked in CI log', actor: 'user:op@example.com' });
      // The sibling token bound to the same certificate gets its own leg.
      expect(r.legs.map((l) => l.kind).sort()).toEqual(['certificate', 'token', 'token']);
      // Tokens are revoked once their issuer confirmed (the worker marks them), not before.
      expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } })).status).toBe('active');
      expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: sibling.id } })).status).toBe('active');
      expect((await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id } })).state).toBe('pending');
      const audit = await t.db.prisma.auditEntry.findFirst({ where: { action: 'revocation.request', target: `revocation:${r.id}` } });
      expect(audit).not.toBeNull();

      await drain(worker());
      const rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id }, include: { legs: true } });
      expect(rev.state).toBe('confirmed');
      expect(rev.completedAt).not.toBeNull();
      expect(rev.legs.every((l) => l.state === 'confirmed' && l.attempts === 1 && l.confirmedAt)).toBe(true);
      expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } })).status).toBe('revoked');
      expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: sibling.id } })).status).toBe('revoked');
      expect(hook.calls.length).toBe(2);
      expect(hook.calls.every((c) => c.signed)).toBe(true);
      expect(JSON.stringify(hook.calls)).not.toContain('raw-');
      const crl = await readPublishedCrl(t.db, 'job-ca');
      expect(crl?.pem).toMatch(/^-----BEGIN X509 CRL-----/);
      expect(await crlListsSerial(crl!.pem, pki.read(ca.cert), cert.serial!)).toBe(true);
      // openssl agrees with the signature and the listing.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(`${pki.dir}/pub.crl`, crl!.pem);
      expect(pki.run(['crl', '-in', `${pki.dir}/pub.crl`, '-CAfile', ca.cert, '-noout', '-text'])).toContain(`Serial Number: ${cert.serial!.toUpperCase()}`);
      const done = await t.db.prisma.auditEntry.count({ where: { action: 'revocation.complete', target: `revocation:${r.id}` } });
      expect(done).toBe(1);
      expect((await verifyAuditChain(t.db)).ok).toBe(true);
    });

    it.skipIf(!available)('peer answering 500, then hanging past the timeout: legs retry, the revocation shows partial; when the peer recovers it completes', async () => {
      hook.calls.length = 0;
      const id = await makeIdentity(t.db);
      const leaf = pki.makeLeaf(`leaf-${randomBytes(3).toString('hex')}`, ca);
      const cert = await makeCertificate(t.db, id.id, pki.read(leaf.cert), 'job-ca');
      const { token } = await makeToken(t.db, id.id, { certificateId: cert.id });
      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], withCertificate: true, reason: 'rotation', actor: 'user:op@example.com' });

      hook.mode = 'fail500';
      await runRevocationWorker(t.db, worker());
      let rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id }, include: { legs: true } });
      const tokenLeg = () => rev.legs.find((l) => l.kind === 'token')!;
      expect(rev.state).toBe('partial'); // the CRL leg confirmed, the token leg is retrying
      expect(tokenLeg()).toMatchObject({ state: 'in_progress', attempts: 1, lastError: 'webhook: HTTP 500', claimedBy: null });
      expect(tokenLeg().nextAttemptAt.getTime()).toBeGreaterThan(Date.now() - 1000);

      hook.mode = 'hang';
      await new Promise((res) => setTimeout(res, 10));
      const t0 = Date.now();
      await runRevocationWorker(t.db, worker({ timeoutMs: 1000 }));
      expect(Date.now() - t0).toBeLessThan(6000);
      rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id }, include: { legs: true } });
      expect(tokenLeg()).toMatchObject({ state: 'in_progress', attempts: 2, lastError: 'webhook: timed out' });
      expect(rev.state).toBe('partial');

      hook.mode = 'ok';
      await new Promise((res) => setTimeout(res, 10));
      await drain(worker());
      rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id }, include: { legs: true } });
      expect(rev.state).toBe('confirmed');
      expect(tokenLeg()).toMatchObject({ state: 'confirmed', attempts: 3, lastError: null });
      expect(hook.calls.filter((c) => c.legId === tokenLeg().id).length).toBe(3);
    });

    it.skipIf(!available)('a leg fails for good after maxAttempts, and at once when retrying cannot help', async () => {
      const id = await makeIdentity(t.db);
      const { token } = await makeToken(t.db, id.id);
      hook.mode = 'unconfirmed';
      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'test', actor: 'user:op@example.com' });
      await drain(worker({ maxAttempts: 3 }));
      const rev = await t.db.prisma.revocation.findUniqueOrThrow({ where: { id: r.id }, include: { legs: true } });
      expect(rev.state).toBe('failed');
      expect(rev.legs[0]).toMatchObject({ state: 'failed', attempts: 3 });
      expect(rev.legs[0]!.lastError).toMatch(/did not confirm/);

      // A certificate of a CA no connector serves: fails at the first attempt, with a reason.
      const other = await t.db.prisma.certificate.create({ data: { x5tS256: randomBytes(32).toString('base64url'), serial: 'ab', caName: 'unknown-ca' } });
      const r2 = await requestRevocation(t.db, key, { certificateIds: [other.id], reason: 'test', actor: 'user:op@example.com' });
      await runRevocationWorker(t.db, worker());
      const leg = await t.db.prisma.revocationLeg.findFirstOrThrow({ where: { revocationId: r2.id } });
      expect(leg).toMatchObject({ state: 'failed', attempts: 1 });
      expect(leg.lastError).toMatch(/no connector serves CA unknown-ca/);
    });

    it.skipIf(!available)('a raw token is sealed into the leg, must match the fingerprint, and is erased when the leg finishes', async () => {
      hook.mode = 'ok';
      const id = await makeIdentity(t.db);
      const { token, raw } = await makeToken(t.db, id.id);
      await expect(requestRevocation(t.db, key, { tokenIds: [token.id], rawToken: 'not-it', reason: 'x', actor: 'a' })).rejects.toMatchObject({ code: 'validation_failed' });
      await expect(requestRevocation(t.db, key, { tokenIds: [token.id], reason: '  ', actor: 'a' })).rejects.toMatchObject({ code: 'validation_failed' });
      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], rawToken: raw, reason: 'x', actor: 'a' });
      const before = await t.db.prisma.revocationLeg.findFirstOrThrow({ where: { revocationId: r.id } });
      expect(before.sealedToken).toMatch(/^v1\./);
      expect(before.sealedToken).not.toContain(raw);
      const auditDump = JSON.stringify(await t.db.prisma.auditEntry.findMany({ select: { details: true } }));
      expect(auditDump).not.toContain(raw);
      await drain(worker());
      const after = await t.db.prisma.revocationLeg.findFirstOrThrow({ where: { revocationId: r.id } });
      expect(after).toMatchObject({ state: 'confirmed', sealedToken: null });
    });

    it.skipIf(!available)('an expired lease is re-claimed (crashed worker); a live lease is not', async () => {
      hook.mode = 'ok';
      const id = await makeIdentity(t.db);
      const { token } = await makeToken(t.db, id.id);
      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'x', actor: 'a' });
      // Simulate a worker that claimed the leg and died.
      await t.db.prisma.revocationLeg.updateMany({ where: { revocationId: r.id }, data: { state: 'in_progress', claimedBy: 'dead', claimedUntil: new Date(Date.now() + 60_000), attempts: 1 } });
      expect((await runRevocationWorker(t.db, worker())).claimed).toBe(0);
      await t.db.prisma.revocationLeg.updateMany({ where: { revocationId: r.id }, data: { claimedUntil: new Date(Date.now() - 1) } });
      expect((await runRevocationWorker(t.db, worker())).confirmed).toBe(1);
      expect(await t.db.prisma.revocationLeg.findFirstOrThrow({ where: { revocationId: r.id } })).toMatchObject({ state: 'confirmed', attempts: 2 });
    });

    it.skipIf(!available)('two workers at once never take the same leg (FOR UPDATE SKIP LOCKED)', async () => {
      hook.mode = 'ok';
      hook.calls.length = 0;
      const id = await makeIdentity(t.db);
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) ids.push((await makeToken(t.db, id.id)).token.id);
      const r = await requestRevocation(t.db, key, { tokenIds: ids, reason: 'bulk', actor: 'a' });
      await Promise.all([drain(worker({ workerId: 'a', batchSize: 5 })), drain(worker({ workerId: 'b', batchSize: 5 }))]);
      const legs = await t.db.prisma.revocationLeg.findMany({ where: { revocationId: r.id } });
      expect(legs.every((l) => l.state === 'confirmed' && l.attempts === 1)).toBe(true);
      const calls = hook.calls.filter((c) => legs.some((l) => l.id === c.legId));
      expect(calls.length).toBe(30);
      expect(new Set(calls.map((c) => c.legId)).size).toBe(30);
    });
  });
}
