// `holdfast export` through the real binary on an embedded database with the demo estate: every
// format writes FILE and prints exactly `{ file, sha256, controls, findings }`; the OSCAL file
// validates against NIST's schema; bad framework/format/out → exit 2 with one line. Then the same
// through `--server` against the real route handlers (served in-process over HTTP on the same
// data directory): the file is downloaded and its SHA-256 matches the job's.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../auth/api-keys.ts';
import { openDatabase, type Database } from '../../db/open.ts';
import { registerDatabase } from '../../server/database.ts';
import { runCli } from '../../testing/processes.ts';
import { OSCAL_SCHEMA_PATH } from '../../frameworks/testing/oscal-schema.ts';

const SCHEMA = OSCAL_SCHEMA_PATH;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('holdfast export', () => {
  let dir = '';
  let outDir = '';
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-export-'));
    outDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-cli-out-'));
    env = { HOLDFAST_DATA_DIR: dir };
    const seed = await runCli(['seed', '--demo', '--json'], { env, timeoutMs: 240_000 });
    expect(seed.code, seed.stderr).toBe(0);
  }, 300_000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it.each([
    ['csv', 'owasp-nhi-2025'],
    ['json', 'nist-sp-800-207'],
    ['oscal', 'nist-csf-2.0'],
    ['pdf', 'csa-maestro'],
  ] as const)('--format %s (%s) writes the file and prints the contract JSON', async (format, framework) => {
    const file = path.join(outDir, `out.${format}`);
    const r = await runCli(['export', '--framework', framework, '--format', format, '--out', file, '--json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['controls', 'file', 'findings', 'sha256']);
    expect(out.file).toBe(file);
    expect(out.sha256).toBe(sha(file));
    expect(out.controls).toBeGreaterThan(0);
    expect(out.findings).toBeGreaterThan(0);
    if (format === 'oscal') {
      const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
      expect(validate(JSON.parse(readFileSync(file, 'utf8'))), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    }
    if (format === 'pdf') expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  }, 200_000);

  it('exits 2 with one line for a bad framework, format, range or output path', async () => {
    for (const args of [
      ['--framework', 'nist-csf-9', '--format', 'csv', '--out', path.join(outDir, 'x.csv')],
      ['--framework', 'nist-csf-2.0', '--format', 'xlsx', '--out', path.join(outDir, 'x.xlsx')],
      ['--framework', 'nist-csf-2.0', '--format', 'csv'],
      ['--framework', 'nist-csf-2.0', '--format', 'csv', '--out', path.join(outDir, 'missing-dir', 'x.csv')],
      ['--framework', 'nist-csf-2.0', '--format', 'csv', '--out', path.join(outDir, 'x.csv'), '--from', 'last week'],
    ]) {
      const r = await runCli(['export', ...args, '--json'], { env, timeoutMs: 120_000 });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 300_000);

  describe('--server', () => {
    let db: Database;
    let server: http.Server;
    let url = '';
    let key = '';
    const prev = process.env.HOLDFAST_DATA_DIR;

    beforeAll(async () => {
      process.env.HOLDFAST_DATA_DIR = dir;
      db = await openDatabase({ kind: 'pglite', dataDir: dir });
      registerDatabase(db);
      key = (await createApiKey(db, { name: 'cli-auditor', role: 'auditor', actor: 'test' })).key;
      const routes = {
        post: (await import('../../../app/api/v1/exports/route.ts')).POST,
        get: (await import('../../../app/api/v1/exports/[id]/route.ts')).GET,
        download: (await import('../../../app/api/v1/exports/[id]/download/route.ts')).GET,
      };
      server = http.createServer(async (req, res) => {
        const u = new URL(req.url ?? '/', 'http://127.0.0.1');
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const request = new Request(u, { method: req.method, headers: req.headers as Record<string, string>, body: chunks.length ? Buffer.concat(chunks) : undefined });
        let m: RegExpExecArray | null;
        let response: Response;
        if (u.pathname === '/api/v1/exports' && req.method === 'POST') response = await routes.post(request, { params: Promise.resolve({}) });
        else if ((m = /^\/api\/v1\/exports\/([^/]+)\/download$/.exec(u.pathname))) response = await routes.download(request, { params: Promise.resolve({ id: m[1]! }) });
        else if ((m = /^\/api\/v1\/exports\/([^/]+)$/.exec(u.pathname))) response = await routes.get(request, { params: Promise.resolve({ id: m[1]! }) });
        else response = new Response('not found', { status: 404 });
        res.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body) Readable.fromWeb(response.body as never).pipe(res);
        else res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    }, 120_000);
    afterAll(async () => {
      await new Promise((r) => server?.close(r));
      registerDatabase(undefined);
      await db?.close();
      if (prev === undefined) delete process.env.HOLDFAST_DATA_DIR;
      else process.env.HOLDFAST_DATA_DIR = prev;
    });

    it('downloads the server’s export and prints the same contract JSON', async () => {
      const file = path.join(outDir, 'remote.oscal.json');
      const r = await runCli(['export', '--framework', 'nist-csf-2.0', '--format', 'oscal', '--out', file, '--server', url, '--api-key', key, '--json'], { env: { HOLDFAST_DATA_DIR: '/nonexistent' }, timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(Object.keys(out).sort()).toEqual(['controls', 'file', 'findings', 'sha256']);
      expect(out.sha256).toBe(sha(file));
      expect(out.findings).toBeGreaterThan(0);
      const [audit] = await db.query<{ details: { sha256: string } }>(`SELECT details FROM "AuditEntry" WHERE action = 'export.create' ORDER BY seq DESC LIMIT 1`);
      expect(audit!.details.sha256).toBe(out.sha256);
      const bad = await runCli(['export', '--framework', 'nope', '--format', 'csv', '--out', path.join(outDir, 'r.csv'), '--server', url, '--api-key', key, '--json'], { timeoutMs: 120_000 });
      expect(bad.code, bad.stderr).toBe(2);
    }, 200_000);
  });
});
