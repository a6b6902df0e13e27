// `holdfast trust add|list|crl|remove` through the real binary on an embedded database: the
// CONTRACT.md shape of `trust add` ({ ca: { subject, x5tS256 }, crlEntries }), idempotent adds,
// CRL replacement only by a newer one (exit 1 otherwise), a stale CRL warned about on stderr, and
// every bad file refused with exit 2 and one line. With --server: app/api/v1/trust-anchors/through-server.test.ts.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCrl, issueLeaf, makeCa, revokeLeaf, type TestCa, type TestLeaf } from '../../testing/crl-pki.ts';
import { expectOneLine, jsonLines } from '../../testing/cli-output.ts';
import { runCli } from '../../testing/processes.ts';

const UUID = /^[0-9a-f-]{36}$/;


describe('holdfast trust on the embedded database', () => {
  let dir = '';
  let env: Record<string, string>;
  let ca: TestCa;
  let other: TestCa;
  let revoked: TestLeaf;
  let crl1 = '';
  let crl2 = '';
  let x5t = '';
  let anchorId = '';
  const cli = (args: string[]) => runCli(args, { env, timeoutMs: 180_000 });

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-trust-'));
    env = { HOLDFAST_DATA_DIR: path.join(dir, 'data') };
    ca = makeCa(dir, 'ca', { subj: '/CN=CLI Client CA/O=Test' });
    other = makeCa(dir, 'other', { subj: '/CN=Other CA/O=Elsewhere' });
    revoked = issueLeaf(ca, 'revoked', '/O=Test/CN=svc-b');
    revokeLeaf(ca, revoked, 'keyCompromise');
    crl1 = generateCrl(ca, 'crl1', { der: true });
    revokeLeaf(ca, issueLeaf(ca, 'second', '/O=Test/CN=svc-c'), 'superseded');
    crl2 = generateCrl(ca, 'crl2');
    x5t = execFileSync('sh', ['-c', `openssl x509 -in '${ca.certPath}' -outform DER | openssl dgst -sha256 -binary | basenc --base64url | tr -d '='`]).toString().trim();
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trust add --ca --crl (DER CRL) answers the contract shape; adding again creates nothing', async () => {
    const r = await cli(['trust', 'add', '--ca', ca.certPath, '--crl', crl1, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ ca: { subject: 'O=Test,CN=CLI Client CA', x5tS256: x5t }, crlEntries: 1, created: true, crlChange: 'added', id: expect.stringMatching(UUID) });
    anchorId = out.id as string;
    const again = await cli(['trust', 'add', '--ca', ca.certPath, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: anchorId, created: false, crlEntries: 1, crlChange: null });
  }, 240_000);

  it('trust crl replaces the CRL with a newer one and refuses an older one (exit 1, one line)', async () => {
    const newer = await cli(['trust', 'crl', '--ca-id', anchorId, '--crl', crl2]);
    expect(newer.code, newer.stderr).toBe(0);
    expect(newer.stdout).toMatch(/^already trusted: CA O=Test,CN=CLI Client CA .*\nreplaced the CRL with CRL 2 of .*, 2 revoked certificates\n$/);
    expectOneLine(await cli(['trust', 'crl', '--ca-id', anchorId, '--crl', crl1, '--json']), 1, /^holdfast: the CRL is older than the one Holdfast has for O=Test,CN=CLI Client CA: its CRL number 1 is lower than the current CRL's 2$/);
    const list = await cli(['trust', 'list', '--json']);
    expect(list.code, list.stderr).toBe(0);
    expect(jsonLines(list)).toEqual([expect.objectContaining({ id: anchorId, subject: 'O=Test,CN=CLI Client CA', crl: expect.objectContaining({ number: '2', entries: 2, stale: false }), warnings: [] })]);
  }, 240_000);

  it('warns on stderr about a stale CRL (nextUpdate passed), in --json mode too', async () => {
    const staleCa = makeCa(dir, 'stale', { subj: '/CN=Stale CA' });
    const stale = generateCrl(staleCa, 'stale', { lastUpdate: new Date(Date.now() - 10 * 86_400_000), nextUpdate: new Date(Date.now() - 86_400_000) });
    const r = await cli(['trust', 'add', '--ca', staleCa.certPath, '--crl', stale, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ crl: { stale: true }, warnings: [expect.stringMatching(/^the CRL is stale/)] });
    expect(r.stderr).toMatch(/^holdfast: warning: the CRL is stale: its nextUpdate \S+ has passed/m);
    const list = await cli(['trust', 'list']);
    expect(list.stdout).toMatch(/CN=Stale CA .* STALE\n/);
    expect(list.stderr).toMatch(/holdfast: warning: CN=Stale CA: the CRL is stale/);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const removed = await cli(['trust', 'remove', '--id', id, '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ id, removed: true, subject: 'CN=Stale CA', x5tS256: expect.any(String) });
    expectOneLine(await cli(['trust', 'remove', '--id', id]), 1, /^holdfast: no trust anchor /);
  }, 240_000);

  it.each<[string, () => string[], RegExp]>([
    ['a missing --ca', () => ['trust', 'add'], /^holdfast: --ca FILE is required$/],
    ['a file that does not exist', () => ['trust', 'add', '--ca', path.join(dir, 'nope.pem')], /^holdfast: --ca: cannot read .*nope\.pem \(ENOENT\)$/],
    ['a directory', () => ['trust', 'add', '--ca', dir], /^holdfast: --ca: .* is not a file$/],
    ['a leaf certificate as the CA', () => ['trust', 'add', '--ca', revoked.certPath], /^holdfast: the CA file is not a CA certificate/],
    ['a CA file holding its private key', () => {
      const f = path.join(dir, 'with-key.pem');
      writeFileSync(f, `${execFileSync('cat', [ca.certPath, ca.keyPath]).toString()}`);
      return ['trust', 'add', '--ca', f];
    }, /^holdfast: the CA file holds a private key/],
    ['text that is neither PEM nor DER', () => {
      const f = path.join(dir, 'junk.txt');
      writeFileSync(f, 'not a certificate\n');
      return ['trust', 'add', '--ca', f];
    }, /^holdfast: the CA file is neither PEM .* nor DER$/],
    ['another CA\'s CRL', () => ['trust', 'add', '--ca', ca.certPath, '--crl', generateCrl(other, 'other')], /^holdfast: the CRL file was issued by .*, not by this CA/],
    ['a CRL signed by another key under the same name', () => {
      const impostor = makeCa(dir, 'impostor', { subj: '/CN=CLI Client CA/O=Test' });
      return ['trust', 'crl', '--ca-id', anchorId, '--crl', generateCrl(impostor, 'forged')];
    }, /^holdfast: the CRL file's signature does not verify with this CA's public key/],
    ['a certificate given as the CRL', () => ['trust', 'crl', '--ca-id', anchorId, '--crl', ca.certPath], /^holdfast: the CRL file has no "X509 CRL" or "CRL" PEM block \(found: CERTIFICATE\)$/],
    ['a --ca-id that is not a UUID', () => ['trust', 'crl', '--ca-id', 'x', '--crl', crl2], /^holdfast: --ca-id must be a trust anchor id/],
    ['an unknown option', () => ['trust', 'list', '--bogus'], /^holdfast: Unknown option '--bogus'/],
  ])('refuses %s with exit 2 and one line', async (_name, args, pattern) => {
    expectOneLine(await cli([...args(), '--json']), 2, pattern);
  }, 240_000);

  it('refuses a bad CA file before opening the database: no data directory is made for it', async () => {
    const fresh = path.join(dir, 'never-opened');
    const r = await runCli(['trust', 'add', '--ca', revoked.certPath, '--json'], { env: { HOLDFAST_DATA_DIR: fresh }, timeoutMs: 180_000 });
    expectOneLine(r, 2, /^holdfast: the CA file is not a CA certificate/);
    expect(existsSync(fresh)).toBe(false);
  }, 240_000);

  it('the audit chain still verifies after the changes', async () => {
    const r = await cli(['audit', 'verify', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
  }, 240_000);
});
