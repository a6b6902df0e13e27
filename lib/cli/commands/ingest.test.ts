// `holdfast ingest` through the real binary: CONTRACT.md --json shape, exit codes (0 when the
// batch committed even with rejected lines; 2 for bad usage, unknown format, unreadable file),
// stdin, idempotent re-send, and --server streaming the file to POST /api/v1/ingest.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POST } from '../../../app/api/v1/ingest/route.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import { NGINX_JSON_REAL } from '../../ingest/testing/samples.ts';
import { CADDY_EDGE_REDACTED_LINES } from '../../services/ingest/testing/caddy-redacted-lines.ts';
import { registerDatabase } from '../../server/database.ts';
import { openTestDatabase, type TestDatabase } from '../../testing/databases.ts';
import { runCli } from '../../testing/processes.ts';
import { startRouteServer, type RouteServer } from '../../testing/route-server.ts';

/** A real mod_ssl line of an Apache run with TZ=Europe/Berlin: 10:22 local is 09:22 UTC in December. */
const AH02039 = '[Fri Dec 04 10:22:24.581841 2026] [ssl:error] [pid 4636:tid 4640] [client 127.0.0.1:57882] AH02039: Certificate Verification: Error (10): certificate has expired';

const line = (i: number) => JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: `cli-${i}`, uri: `/c/${i}`, status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' });

describe('holdfast ingest (binary)', () => {
  let dir = '';
  let env: Record<string, string> = {};
  let file = '';
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'holdfast-cli-ingest-'));
    env = { HOLDFAST_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '' };
    // An existing directory gets the migrated template cluster (runCli): the first command then
    // skips PGlite's initdb and every migration, which nothing here is about.
    mkdirSync(env.HOLDFAST_DATA_DIR!);
    file = path.join(dir, 'access.json');
    writeFileSync(file, [line(1), line(2), 'not json', '', NGINX_JSON_REAL, ''].join('\n'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the CONTRACT summary and exits 0 even with rejected lines; a re-send counts duplicates', async () => {
    const r = await runCli(['ingest', file, '--format', 'nginx-json', '--source', 'edge', '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // CONTRACT.md's fields, plus the added skipped lines and their reasons.
    expect(Object.keys(out)).toEqual(['batchId', 'linesRead', 'accepted', 'rejected', 'duplicates', 'skipped', 'skippedReasons', 'errors']);
    expect(out).toMatchObject({ linesRead: 5, accepted: 3, rejected: 1, duplicates: 0, skipped: 1, skippedReasons: { no_record: 1 }, errors: [{ line: 3, reason: 'invalid_json', message: expect.any(String) }] });
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    // Without --json the same counts, each rejected line with its reason and message.
    const text = await runCli(['ingest', file, '--format', 'nginx-json', '--source', 'edge-text'], { env, timeoutMs: 180_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^skipped {5}1 \(no_record 1\)$/m);
    expect(text.stdout).toContain(`  line 3: invalid_json — ${out.errors[0].message}`);

    const again = await runCli(['ingest', '-', '--source', 'edge', '--json'], { env, input: [line(1), line(2), 'not json', NGINX_JSON_REAL].join('\n'), timeoutMs: 180_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ linesRead: 4, accepted: 0, rejected: 1, duplicates: 3, skipped: 0 });
  }, 400_000);

  it('a Caddy log with Authorization redacted: the batch says so once, as a warning line (stderr with --json, whose output is unchanged)', async () => {
    const caddyLog = path.join(dir, 'caddy.json');
    writeFileSync(caddyLog, `${CADDY_EDGE_REDACTED_LINES.join('\n')}\n`);
    const r = await runCli(['ingest', caddyLog, '--format', 'caddy', '--source', 'caddy-edge', '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(JSON.parse(r.stdout))).toEqual(['batchId', 'linesRead', 'accepted', 'rejected', 'duplicates', 'skipped', 'skippedReasons', 'errors']);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual([expect.stringMatching(/^warning: 4 of 4 requests logged an empty Authorization header \(Caddy redacts it unless log_credentials is on\)/)]);
    const text = await runCli(['ingest', caddyLog, '--format', 'caddy', '--source', 'caddy-edge-text'], { env, timeoutMs: 180_000 });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^warning: 4 of 4 requests logged an empty Authorization header/m);
  }, 400_000);

  it('exits 2 with one line for bad usage, an unknown or undetectable format and an unreadable file', async () => {
    const cases: string[][] = [
      ['ingest', file, '--format', 'apache', '--json'],
      ['ingest', path.join(dir, 'missing.log'), '--format', 'nginx-json', '--json'],
      ['ingest', dir, '--format', 'nginx-json', '--json'],
      ['ingest', '--format', 'nginx-json', '--json'],
      ['ingest', file, file, '--json'],
      ['ingest', file, '--source', 'bad name', '--json'],
      ['ingest', file, '--format', 'nginx-json', '--time-zone', 'Mars/Olympus', '--json'],
      ['ingest', file, '--format', 'nginx-json', '--time-zone', '+25:00', '--json'],
    ];
    for (const args of cases) {
      const r = await runCli(args, { env, timeoutMs: 60_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    // A .gz cut short (an interrupted copy): refused whole, nothing committed, one line.
    const cut = path.join(dir, 'cut.log.gz');
    const gz = gzipSync(Buffer.from(Array.from({ length: 3000 }, (_, i) => line(5000 + i)).join('\n')));
    writeFileSync(cut, gz.subarray(0, Math.floor(gz.length / 2)));
    const cutRun = await runCli(['ingest', cut, '--format', 'nginx-json', '--source', 'cut', '--json'], { env, timeoutMs: 180_000 });
    expect(cutRun.code, cutRun.stderr).toBe(2);
    expect(cutRun.stdout).toBe('');
    expect(cutRun.stderr.trim().split('\n')).toHaveLength(1);
    expect(cutRun.stderr).toMatch(/gzip body is corrupt or cut short after line \d+.*nothing was ingested/);
    const garbage = path.join(dir, 'garbage.txt');
    writeFileSync(garbage, 'hello\nworld\n');
    const r = await runCli(['ingest', garbage, '--json'], { env, timeoutMs: 180_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not detect the input format/);
    const zone = await runCli(['ingest', file, '--format', 'nginx-json', '--time-zone', 'Mars/Olympus', '--json'], { env, timeoutMs: 60_000 });
    expect(zone.stderr.trim()).toBe('holdfast: --time-zone must be an IANA time zone such as Europe/Berlin, or a fixed offset such as +02:00');
  }, 400_000);

  it('--time-zone Europe/Berlin reads zone-less times in that zone; without it they are UTC', async () => {
    const log = path.join(dir, 'error.log');
    writeFileSync(log, `${AH02039}\n`);
    const times: Record<string, string> = {};
    for (const [source, extra] of [['tz-berlin', ['--time-zone', 'Europe/Berlin']], ['tz-none', []]] as const) {
      const r = await runCli(['ingest', log, '--format', 'apache-error', '--source', source, ...extra, '--json'], { env, timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ accepted: 1, rejected: 0 });
      const ev = await runCli(['events', '--source', source, '--json'], { env, timeoutMs: 120_000 });
      expect(ev.code, ev.stderr).toBe(0);
      times[source] = JSON.parse(ev.stdout.trim()).occurredAt;
    }
    expect(times).toEqual({ 'tz-berlin': '2026-12-04T09:22:24.581Z', 'tz-none': '2026-12-04T10:22:24.581Z' });
  }, 400_000);
});

describe('holdfast ingest --server (binary → POST /api/v1/ingest)', () => {
  let t: TestDatabase;
  let server: RouteServer;
  let url = '';
  let key = '';
  let dir = '';
  beforeAll(async () => {
    t = await openTestDatabase('pglite');
    registerDatabase(t.db);
    key = (await createApiKey(t.db, { name: 'cli', role: 'analyst', scopes: ['ingest'], actor: 'test' })).key;
    server = await startRouteServer(POST);
    url = server.url;
    dir = mkdtempSync(path.join(tmpdir(), 'holdfast-cli-ingest-remote-'));
  }, 60_000);
  afterAll(async () => {
    registerDatabase(undefined);
    await server.close();
    await t.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams the file and prints the same summary; server-side problems exit 2', async () => {
    const file = path.join(dir, 'a.json');
    writeFileSync(file, Array.from({ length: 500 }, (_, i) => line(1000 + i)).join('\n') + '\n');
    const r = await runCli(['ingest', file, '--format', 'nginx-json', '--json', '--server', url, '--api-key', key], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ batchId: expect.any(String), linesRead: 500, accepted: 500, rejected: 0, duplicates: 0, skipped: 0, skippedReasons: {}, errors: [] });
    const garbage = path.join(dir, 'g.txt');
    writeFileSync(garbage, 'nothing\nto see\n');
    const bad = await runCli(['ingest', garbage, '--json', '--server', url, '--api-key', key], { timeoutMs: 120_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/422/);
  }, 300_000);

  it('--time-zone travels as timeZone=: the server reads the zone-less times in it', async () => {
    const log = path.join(dir, 'error.log');
    writeFileSync(log, `${AH02039}\n`);
    const r = await runCli(['ingest', log, '--format', 'apache-error', '--time-zone', '+01:00', '--json', '--server', url, '--api-key', key], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const { batchId } = JSON.parse(r.stdout);
    const [row] = await t.db.query<{ occurredAt: Date | string }>(`SELECT "occurredAt" FROM "evidence"."Notable" WHERE "batchId" = $1::uuid`, [batchId]);
    expect(new Date(row!.occurredAt).toISOString()).toBe('2026-12-04T09:22:24.581Z');
  }, 300_000);
});
