// Connectors can be edited and deleted: secrets are replaced only when sent and never come
// back, every change is audited (with the names of the changed fields, never secret values),
// the resolver follows the change, and the revoke dialog's coverage names unserved issuers.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../testing/databases.ts';
import { connectorCoverage, createConnector, dbConnectorResolver, deleteConnector, listConnectors, updateConnector } from './connector-store.ts';
import { planRevocation } from './request-revocation.ts';
import { makeIdentity, makeToken } from './testing/fixtures.ts';

const key = randomBytes(32);
const SECRET = 'first-webhook-secret-0123456789';
const NEW_SECRET = 'second-webhook-secret-9876543210';

describe('editing and deleting connectors', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('edits name, issuer and config; keeps sealed secrets unless new ones are sent; audits field names only', async () => {
    const c = await createConnector(t.db, key, { name: 'hook-a', kind: 'webhook', matchIssuer: 'https://a.example.test', config: { url: 'http://127.0.0.1:9/a' }, secrets: { hmacSecret: SECRET } }, 'admin@x');
    const sealedBefore = (await t.db.prisma.connector.findUniqueOrThrow({ where: { id: c.id } })).sealedSecrets;
    const u = await updateConnector(t.db, key, c.id, { name: 'hook-b', matchIssuer: 'https://b.example.test', config: { url: 'http://127.0.0.1:9/b' } }, 'admin@x');
    expect(u).toMatchObject({ name: 'hook-b', matchIssuer: 'https://b.example.test', config: { url: 'http://127.0.0.1:9/b' }, hasSecrets: true });
    expect((await t.db.prisma.connector.findUniqueOrThrow({ where: { id: c.id } })).sealedSecrets).toBe(sealedBefore);

    await updateConnector(t.db, key, c.id, { secrets: { hmacSecret: NEW_SECRET } }, 'admin@x');
    const sealedAfter = (await t.db.prisma.connector.findUniqueOrThrow({ where: { id: c.id } })).sealedSecrets;
    expect(sealedAfter).not.toBe(sealedBefore);
    const audit = await t.db.prisma.auditEntry.findMany({ where: { action: 'connector.update', target: `connector:${c.id}` }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => (a.details as { changed: string[] }).changed)).toEqual([['name', 'matchIssuer', 'config'], ['secrets']]);
    const dump = JSON.stringify(audit.map((a) => a.details)) + JSON.stringify(await listConnectors(t.db));
    expect(dump).not.toContain(SECRET);
    expect(dump).not.toContain(NEW_SECRET);

    // The resolver serves the new issuer, not the old one.
    const resolve = dbConnectorResolver(t.db, key, { cacheMs: 0 });
    const target = (issuer: string) => ({ legId: 'l', revocationId: 'r', kind: 'token' as const, reason: 'x', token: { id: 't', fingerprint: 'f', tokenType: 'access', jti: null, issuer, clientId: null, subject: null, raw: null } });
    expect((await resolve(target('https://b.example.test')))?.id).toBe(c.id);
    expect(await resolve(target('https://a.example.test'))).toBeNull();
  });

  it('refuses bad edits with codes: unknown id, bad config, a taken name, nothing left to serve', async () => {
    const c = await createConnector(t.db, key, { name: 'hook-c', kind: 'webhook', matchIssuer: 'https://c.example.test', config: { url: 'http://127.0.0.1:9/c' }, secrets: { hmacSecret: SECRET } }, 'admin@x');
    await createConnector(t.db, key, { name: 'hook-d', kind: 'webhook', matchIssuer: 'https://d.example.test', config: { url: 'http://127.0.0.1:9/d' }, secrets: { hmacSecret: SECRET } }, 'admin@x');
    await expect(updateConnector(t.db, key, '00000000-0000-4000-8000-000000000000', { name: 'x' }, 'a')).rejects.toMatchObject({ code: 'not_found' });
    await expect(updateConnector(t.db, key, c.id, { config: { url: 'not a url' } }, 'a')).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(updateConnector(t.db, key, c.id, { name: 'hook-d' }, 'a')).rejects.toMatchObject({ code: 'conflict' });
    await expect(updateConnector(t.db, key, c.id, { matchIssuer: null }, 'a')).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('deletes a connector (audited); the revoke plan then names the issuer no connector serves', async () => {
    const c = await createConnector(t.db, key, { name: 'hook-e', kind: 'webhook', matchIssuer: 'https://e.example.test', config: { url: 'http://127.0.0.1:9/e' }, secrets: { hmacSecret: SECRET } }, 'admin@x');
    const id = await makeIdentity(t.db);
    const { token } = await makeToken(t.db, id.id, { issuer: 'https://e.example.test' });
    let plan = await planRevocation(t.db, { tokenIds: [token.id] });
    expect(plan.tokens[0]!.connector).toBe('hook-e');
    expect(plan.unserved).toEqual({ issuers: [], cas: [] });

    expect(await deleteConnector(t.db, c.id, 'admin@x')).toEqual({ id: c.id, name: 'hook-e' });
    expect(await t.db.prisma.auditEntry.count({ where: { action: 'connector.delete', target: `connector:${c.id}` } })).toBe(1);
    await expect(deleteConnector(t.db, c.id, 'admin@x')).rejects.toMatchObject({ code: 'not_found' });
    plan = await planRevocation(t.db, { tokenIds: [token.id] });
    expect(plan.tokens[0]!.connector).toBeNull();
    expect(plan.unserved.issuers).toEqual(['https://e.example.test']);
    const cover = await connectorCoverage(t.db, { issuers: ['https://c.example.test', 'https://nowhere.test'], cas: ['some-ca'] });
    expect([...cover.issuers.entries()]).toEqual([['https://c.example.test', 'hook-c'], ['https://nowhere.test', null]]);
    expect(cover.cas.get('some-ca')).toBeNull();
  });
});
