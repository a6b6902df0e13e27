// `holdfast revoke` through the real binary on an embedded database (CONTRACT.md: flags, --json
// shape, exit codes). The token leg goes to a signed webhook receiver started here.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDatabase } from '../../db/migrations.ts';
import { openDatabase } from '../../db/open.ts';
import { createConnector } from '../../revocation/connector-store.ts';
import { maintainEvidence } from '../../services/evidence/maintenance.ts';
import { makeIdentity, makeToken, startWebhookReceiver, type WebhookReceiver } from '../../revocation/testing/fixtures.ts';
import { runCli } from '../../testing/processes.ts';

const key = randomBytes(32);
const HMAC = 'cli-webhook-secret-0000';

describe('holdfast revoke (embedded database)', () => {
  let dir = '';
  let hook: WebhookReceiver;
  const tokens: { id: string; raw: string }[] = [];
  const env = () => ({ HOLDFAST_DATA_DIR: dir, HOLDFAST_SECRET_KEY: key.toString('base64') });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'holdfast-cli-revoke-'));
    hook = await startWebhookReceiver(HMAC);
    const db = await openDatabase({ kind: 'pglite', dataDir: dir });
    await migrateDatabase(db);
    // As a started instance leaves it: the migration moves the (empty) legacy event table aside and
    // the first start folds it, saying so on stderr — which is not this command's output.
    await maintainEvidence(db);
    await createConnector(db, key, { name: 'hook', kind: 'webhook', matchIssuer: '*', config: { url: hook.url }, secrets: { hmacSecret: HMAC } }, 'test');
    const id = await makeIdentity(db);
    for (let i = 0; i < 3; i++) {
      const t = await makeToken(db, id.id);
      tokens.push({ id: t.token.id, raw: t.raw });
    }
    await db.close();
  });
  afterAll(async () => {
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for confirmation and prints { id, state, legs[] } (exit 0)', async () => {
    const r = await runCli(['revoke', '--token-id', tokens[0]!.id, '--reason', 'leaked', '--json'], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { id: string; state: string; legs: unknown[] };
    const iso = expect.stringMatching(/^\d{4}-\d\d-\d\dT/);
    // The contract fields, then the receipts: a token no gateway ever presented has no enforcement point.
    expect(out).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      state: 'confirmed',
      legs: [{ kind: 'token', state: 'confirmed', attempts: 1, lastError: null }],
      receipts: {
        revocationId: out.id,
        computedAt: iso,
        legs: [{ legId: expect.stringMatching(/^[0-9a-f-]{36}$/), kind: 'token', tokenId: tokens[0]!.id, certificateId: null, revokedAt: iso, requestedAt: iso, confirmedAt: iso, points: [], summary: { points: 0, effective: 0, stillAccepting: 0, notSeenSince: 0, awaitingConfirmation: 0 } }],
      },
    });
  });

  it('--no-wait returns at once with the pending job; --raw-token-stdin is accepted and never echoed', async () => {
    const r = await runCli(['revoke', '--token-id', tokens[1]!.id, '--raw-token-stdin', '--reason', 'rotation', '--no-wait', '--json'], { env: env(), input: `${tokens[1]!.raw}\n` });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: 'pending', legs: [{ kind: 'token', state: 'pending', attempts: 0, lastError: null }] });
    expect(r.stdout + r.stderr).not.toContain(tokens[1]!.raw);
  });

  it.each([
    ['no reason', ['revoke', '--token-id', '00000000-0000-4000-8000-000000000000'], 2, /--reason is required/],
    ['no token', ['revoke', '--reason', 'x'], 2, /--token-id/],
    ['not an id', ['revoke', '--token-id', 'abc', '--reason', 'x'], 2, /must be an id/],
    ['unknown token', ['revoke', '--token-id', '00000000-0000-4000-8000-000000000000', '--reason', 'x'], 1, /do not exist/],
  ])('%s → one-line reason and the contract exit code', async (_n, args, code, msg) => {
    const r = await runCli([...args, '--json'], { env: env() });
    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(msg);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a raw token that does not match the selected token is bad input (exit 2)', async () => {
    const r = await runCli(['revoke', '--token-id', tokens[2]!.id, '--raw-token-stdin', '--reason', 'x', '--json'], { env: env(), input: 'something-else' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not match/);
  });
});
