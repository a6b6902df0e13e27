// `holdfast apikey list|revoke` and `holdfast user list|disable|enable|role` through the real
// binary on an embedded database: the JSON shapes, exit codes (0 done, 1 refused or unknown, 2 bad
// input) with one line on stderr, the last enabled admin kept, and every change in the audit log.
// The same commands with --server are in lib/auth/access-through-server.test.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLine, jsonLines } from '../../testing/cli-output.ts';
import { runCli } from '../../testing/processes.ts';

const UUID = /^[0-9a-f-]{36}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;


describe('holdfast apikey list|revoke and user list|disable|enable|role on the embedded database', () => {
  let dir = '';
  let env: Record<string, string>;
  const cli = (args: string[], input?: string) => runCli([...args], { env, input, timeoutMs: 180_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-access-'));
    env = { HOLDFAST_DATA_DIR: dir };
    for (const [email, role] of [['root@example.com', 'admin'], ['Ana@Example.com', 'analyst']]) {
      const r = await cli(['user', 'create', '--email', email!, '--role', role!, '--json'], 'a long enough passphrase\n');
      expect(r.code, r.stderr).toBe(0);
    }
  }, 240_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists users as JSON lines and changes a role, disables and enables by email', async () => {
    const list = await cli(['user', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(jsonLines(list)).toEqual([
      { id: expect.stringMatching(UUID), email: 'ana@example.com', role: 'analyst', disabled: false, createdAt: expect.stringMatching(ISO) },
      { id: expect.stringMatching(UUID), email: 'root@example.com', role: 'admin', disabled: false, createdAt: expect.stringMatching(ISO) },
    ]);
    const role = await cli(['user', 'role', '--email', 'ANA@example.com', '--role', 'operator', '--json']);
    expect(role.code, role.stderr).toBe(0);
    expect(JSON.parse(role.stdout)).toMatchObject({ email: 'ana@example.com', role: 'operator', disabled: false });
    const off = await cli(['user', 'disable', '--email', 'ana@example.com', '--json']);
    expect(off.code, off.stderr).toBe(0);
    expect(JSON.parse(off.stdout)).toMatchObject({ email: 'ana@example.com', role: 'operator', disabled: true });
    const on = await cli(['user', 'enable', '--email', 'ana@example.com', '--json']);
    expect(on.code, on.stderr).toBe(0);
    expect(JSON.parse(on.stdout)).toMatchObject({ email: 'ana@example.com', disabled: false });
  }, 240_000);

  it('refuses to disable or demote the last enabled admin (exit 1, one line), and changes nothing', async () => {
    expectOneLine(await cli(['user', 'disable', '--email', 'root@example.com', '--json']), 1, /^holdfast: root@example.com is the last enabled admin/);
    expectOneLine(await cli(['user', 'role', '--email', 'root@example.com', '--role', 'auditor', '--json']), 1, /last enabled admin/);
    const list = jsonLines(await cli(['user', 'list', '--json']));
    expect(list.find((u) => u.email === 'root@example.com')).toMatchObject({ role: 'admin', disabled: false });
  }, 240_000);

  it.each([
    ['no email', 2, ['user', 'disable'], /--email is required/],
    ['a control character in the email', 2, ['user', 'enable', '--email', 'a\u0007b@example.com'], /--email contains a control character/],
    ['an unknown role', 2, ['user', 'role', '--email', 'ana@example.com', '--role', 'superuser'], /--role must be one of/],
    ['an unknown email', 1, ['user', 'disable', '--email', 'nobody@example.com'], /no user with email nobody@example.com/],
    ['no key id', 2, ['apikey', 'revoke'], /--id must be an API key id/],
    ['a key id that is not a UUID', 2, ['apikey', 'revoke', '--id', "1' OR 1=1"], /--id must be an API key id/],
    ['an unknown key id', 1, ['apikey', 'revoke', '--id', '00000000-0000-4000-8000-000000000000'], /no such API key/],
    ['an API key name with a terminal escape sequence', 2, ['apikey', 'create', '--name', 'edge\u001b[31m', '--role', 'analyst'], /name: contains a control character/],
  ] as const)('%s → exit %i with one line', async (_case, code, args, pattern) => {
    expectOneLine(await cli([...args, '--json']), code, pattern);
  }, 240_000);

  it('refuses a bad API key name before opening the database: no data directory is made for it', async () => {
    const fresh = path.join(dir, 'never-opened');
    expectOneLine(await runCli(['apikey', 'create', '--name', 'edge\u001b[31m', '--role', 'analyst', '--json'], { env: { HOLDFAST_DATA_DIR: fresh }, timeoutMs: 180_000 }), 2, /name: contains a control character/);
    expect(existsSync(fresh)).toBe(false);
  }, 240_000);

  it('lists keys (ingest-only flagged, never the key) and revokes one once; a second revoke changes nothing', async () => {
    const reader = JSON.parse((await cli(['apikey', 'create', '--name', 'reporting', '--role', 'analyst', '--json'])).stdout) as { id: string; key: string };
    const shipper = JSON.parse((await cli(['apikey', 'create', '--name', 'edge-shipper', '--role', 'operator', '--scope', 'ingest', '--json'])).stdout) as { id: string; key: string };
    const list = await cli(['apikey', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).not.toContain(reader.key);
    expect(list.stdout).not.toContain(shipper.key);
    const rows = jsonLines(list);
    expect(rows.find((k) => k.id === shipper.id)).toEqual({
      id: shipper.id, name: 'edge-shipper', displayStub: expect.stringMatching(/^hf_.{6}…$/), role: 'operator', scopes: ['ingest'], ingestOnly: true, source: null,
      createdAt: expect.stringMatching(ISO), lastUsedAt: null, revokedAt: null,
    });
    expect(rows.find((k) => k.id === reader.id)).toMatchObject({ ingestOnly: false, revokedAt: null });
    const revoked = await cli(['apikey', 'revoke', '--id', reader.id, '--json']);
    expect(revoked.code, revoked.stderr).toBe(0);
    const first = JSON.parse(revoked.stdout) as { revokedAt: string };
    expect(first).toEqual({ id: reader.id, name: 'reporting', displayStub: expect.any(String), revokedAt: expect.stringMatching(ISO), alreadyRevoked: false });
    const again = await cli(['apikey', 'revoke', '--id', reader.id, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ revokedAt: first.revokedAt, alreadyRevoked: true });
    expect(jsonLines(await cli(['apikey', 'list', '--json'])).find((k) => k.id === reader.id)).toMatchObject({ revokedAt: first.revokedAt });
  }, 240_000);

  it('audited every change once, and the chain verifies', async () => {
    const { openDatabase } = await import('../../db/open.ts');
    const db = await openDatabase({ kind: 'pglite', dataDir: dir });
    try {
      const rows = await db.prisma.auditEntry.findMany({ where: { action: { in: ['user.role_change', 'user.disable', 'user.enable', 'apikey.revoke'] } }, orderBy: { seq: 'asc' }, select: { actor: true, action: true, target: true, details: true } });
      expect(rows).toEqual([
        { actor: 'cli', action: 'user.role_change', target: 'user:ana@example.com', details: { from: 'analyst', to: 'operator' } },
        { actor: 'cli', action: 'user.disable', target: 'user:ana@example.com', details: { role: 'operator' } },
        { actor: 'cli', action: 'user.enable', target: 'user:ana@example.com', details: { role: 'operator' } },
        { actor: 'cli', action: 'apikey.revoke', target: expect.stringMatching(/^apikey:/), details: expect.objectContaining({ name: 'reporting' }) },
      ]);
    } finally {
      await db.close();
    }
    const verify = await cli(['audit', 'verify', '--json']);
    expect(verify.code, verify.stderr).toBe(0);
  }, 240_000);
});
