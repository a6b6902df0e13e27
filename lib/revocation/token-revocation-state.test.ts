// A token is revoked when its issuer confirmed it: a revocation no peer can carry out never
// marks the token revoked (it is "revocation failed", with its revocation and last error),
// and a confirmed leg marks it revoked and re-evaluates findings without an ingest.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getIdentityDetail, getTokenDetail } from '../services/estate/details.ts';
import { IdentityDetailSchema, TokenDetailSchema, TokenPageSchema } from '../services/estate/schemas.ts';
import { evaluateFindings } from '../services/findings/evaluate.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { createConnector, dbConnectorResolver } from './connector-store.ts';
import { requestRevocation } from './request-revocation.ts';
import { runRevocationWorker, startRevocationWorkerLoop, type RevocationWorkerOptions } from './run-revocation-worker.ts';
import { makeIdentity, makeToken, startWebhookReceiver, type WebhookReceiver } from './testing/fixtures.ts';
import { tokenRevocation, tokenRevocations, tokenRevocationStateOfLeg, tokenStateLabel, withRevocationState } from './token-revocation-state.ts';

const key = randomBytes(32);
const HMAC = 'webhook-secret-truth-0123456789';

describe('tokenStateLabel', () => {
  it.each([
    ['active', null, 'active'],
    ['active', { state: 'pending' as const }, 'revocation pending'],
    // Asked at least once and to be asked again: the revocation's own word, not "pending".
    ['active', { state: 'in_progress' as const }, 'revocation in progress'],
    ['active', { state: 'failed' as const }, 'revocation failed'],
    ['revoked', { state: 'confirmed' as const }, 'revoked'],
    // Revoked by its issuer outside Holdfast (introspection active=false): still revoked.
    ['revoked', null, 'revoked'],
    ['expired', { state: 'failed' as const }, 'revocation failed'],
  ])('status %s with revocation %j reads "%s"', (status, rev, label) => {
    expect(tokenStateLabel(status, rev)).toBe(label);
  });
  it.each([
    ['pending', 'pending'],
    ['in_progress', 'in_progress'],
    ['confirmed', 'confirmed'],
    ['failed', 'failed'],
  ])('leg %s stands for %s', (leg, state) => expect(tokenRevocationStateOfLeg(leg)).toBe(state));
});

for (const runtime of RUNTIMES) {
  describe(`token revocation state on ${runtime}`, async () => {
    const available = runtime === 'pglite' || (await postgresAvailable());
    let t: TestDatabase;
    let hook: WebhookReceiver;
    const worker = (): RevocationWorkerOptions => ({ connectors: dbConnectorResolver(t.db, key), key, workerId: 'w-truth', baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 8000 });
    const privilegedBearer = async (issuer: string) => {
      const id = await makeIdentity(t.db);
      const { token } = await makeToken(t.db, id.id, { issuer });
      await t.db.prisma.token.update({ where: { id: token.id }, data: { scopes: ['admin'] } });
      return token;
    };

    beforeAll(async () => {
      if (!available) return;
      t = await openTestDatabase(runtime);
      hook = await startWebhookReceiver(HMAC);
      await createConnector(t.db, key, { name: 'hook', kind: 'webhook', matchIssuer: 'https://served.example.test', config: { url: hook.url }, secrets: { hmacSecret: HMAC } }, 'test');
    });
    afterAll(async () => {
      await hook?.close();
      await t?.drop();
    });

    it.skipIf(!available)('no connector serves the issuer: pending, then failed with the reason; the token stays active and its finding open', async () => {
      const token = await privilegedBearer('https://unserved.example.test');
      await evaluateFindings(t.db, { actor: 'test' });
      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'leaked', actor: 'user:op@example.com' });
      expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } })).status).toBe('active');
      expect(await tokenRevocation(t.db, token.id)).toMatchObject({ state: 'pending', revocationId: r.id, confirmedAt: null });

      await runRevocationWorker(t.db, worker());
      const tok = await t.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } });
      expect([tok.status, tok.revokedAt]).toEqual(['active', null]);
      const rev = await tokenRevocation(t.db, token.id);
      expect(rev).toMatchObject({ state: 'failed', revocationId: r.id, attempts: 1, nextAttemptAt: null });
      expect(rev!.lastError).toContain('no connector serves issuer https://unserved.example.test');
      expect(tokenStateLabel(tok.status, rev)).toBe('revocation failed');
      // The API's output schemas keep what the pages show (they once stripped it from the identity).
      const identity = IdentityDetailSchema.parse(await getIdentityDetail(t.db, tok.identityId));
      expect(identity.tokens.find((x) => x.id === token.id)).toMatchObject({ status: 'active', state: 'revocation failed', revocation: { state: 'failed', revocationId: r.id } });
      const detail = TokenDetailSchema.parse(await getTokenDetail(t.db, token.id));
      expect(detail.token).toMatchObject({ state: 'revocation failed', revocation: { state: 'failed', revocationId: r.id } });
      const rows = TokenPageSchema.parse({ items: await withRevocationState(t.db, [{ ...detail.token }]), nextCursor: null });
      expect(rows.items[0]).toMatchObject({ state: 'revocation failed', revocationState: 'failed', revocationId: r.id });
      await evaluateFindings(t.db, { actor: 'test' });
      const f = await t.db.prisma.finding.findFirst({ where: { tokenId: token.id, rule: 'unbound_high_risk' } });
      expect(f?.status).toBe('open');
    });

    it.skipIf(!available)('a confirmed leg marks the token revoked at confirmation; a later failed attempt does not undo it', async () => {
      hook.mode = 'ok';
      const token = await privilegedBearer('https://served.example.test');
      const r = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'leaked', actor: 'user:op@example.com' });
      let confirmedLegs = 0;
      await runRevocationWorker(t.db, { ...worker(), onConfirmed: (n) => (confirmedLegs += n) });
      expect(confirmedLegs).toBe(1);
      const tok = await t.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } });
      const leg = await t.db.prisma.revocationLeg.findFirstOrThrow({ where: { revocationId: r.id } });
      expect(tok.status).toBe('revoked');
      expect(tok.revokedAt?.toISOString()).toBe(leg.confirmedAt?.toISOString());
      expect(await tokenRevocation(t.db, token.id)).toMatchObject({ state: 'confirmed', revocationId: r.id });

      hook.mode = 'fail500';
      await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'again', actor: 'user:op@example.com' });
      await runRevocationWorker(t.db, { ...worker(), maxAttempts: 1 });
      const both = await tokenRevocations(t.db, [token.id, randomUUIDLike()]);
      expect(both.size).toBe(1);
      expect(both.get(token.id)).toMatchObject({ state: 'confirmed', revocationId: r.id });
      expect((await t.db.prisma.token.findUniqueOrThrow({ where: { id: token.id } })).status).toBe('revoked');
      hook.mode = 'ok';
    });

    it.skipIf(!available)('a revocation still being tried is not hidden by a later one that failed at once', async () => {
      const token = await privilegedBearer('https://served.example.test');
      const first = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'leaked', actor: 'user:op@example.com' });
      // The first is being retried (its issuer answered 500 so far); the second failed at once.
      await t.db.prisma.revocationLeg.updateMany({ where: { revocationId: first.id }, data: { state: 'in_progress', attempts: 2, lastError: 'HTTP 500' } });
      const second = await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'again', actor: 'user:op@example.com' });
      await t.db.prisma.revocationLeg.updateMany({ where: { revocationId: second.id }, data: { state: 'failed', attempts: 1, lastError: 'RFC 7009 needs the raw token' } });
      // The token reads in its revocation's words: in progress, as its leg is (not "pending").
      expect(await tokenRevocation(t.db, token.id)).toMatchObject({ state: 'in_progress', revocationId: first.id, attempts: 2 });
      const [row] = await withRevocationState(t.db, [{ id: token.id, status: 'active' }]);
      expect(row).toMatchObject({ state: 'revocation in progress', revocationState: 'in_progress', revocationId: first.id });
      // Once the first gives up too, the latest failure is the one shown.
      await t.db.prisma.revocationLeg.updateMany({ where: { revocationId: first.id }, data: { state: 'failed' } });
      expect(await tokenRevocation(t.db, token.id)).toMatchObject({ state: 'failed', revocationId: second.id });
    });

    it.skipIf(!available)('the worker loop re-evaluates findings after a confirmed leg: the unbound_high_risk finding resolves without an ingest', async () => {
      hook.mode = 'ok';
      const token = await privilegedBearer('https://served.example.test');
      await evaluateFindings(t.db, { actor: 'test' });
      expect((await t.db.prisma.finding.findFirstOrThrow({ where: { tokenId: token.id, rule: 'unbound_high_risk' } })).status).toBe('open');
      await requestRevocation(t.db, key, { tokenIds: [token.id], reason: 'leaked', actor: 'user:op@example.com' });
      const loop = startRevocationWorkerLoop(t.db, { ...worker(), intervalMs: 50 });
      try {
        const deadline = Date.now() + 60_000;
        let status = 'open';
        while (Date.now() < deadline) {
          status = (await t.db.prisma.finding.findFirstOrThrow({ where: { tokenId: token.id, rule: 'unbound_high_risk' } })).status;
          if (status === 'resolved') break;
          await new Promise((res) => setTimeout(res, 200));
        }
        expect(status).toBe('resolved');
      } finally {
        await loop.stop();
      }
      // The evaluation was the coalesced after-commit one, run as the worker.
      const ev = await t.db.prisma.auditEntry.findFirst({ where: { actor: 'system:revocation-worker', action: { startsWith: 'findings' } } });
      expect(ev).not.toBeNull();
    });
  });
}

function randomUUIDLike(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
