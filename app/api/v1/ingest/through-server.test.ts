// POST /api/v1/ingest through the real server (scripts/start.mjs: Next.js in-process, proxy.ts
// and all), on both runtimes: bodies over Next.js's 10 MB proxy body limit are read and
// committed whole — plain, gzip, and streamed by `holdfast ingest --server` — and a body over
// HOLDFAST_INGEST_MAX_BYTES, or a gzip inflating past HOLDFAST_INGEST_MAX_INFLATED_BYTES, is
// refused with a 413 problem and commits nothing; a gzip body cut short is refused with a 400 problem
// and commits nothing. Calling the handler directly (ingest.test.ts)
// cannot see any of this: the body is cut by the framework before the handler runs. Also the query
// and routes a user reaches with an ingest: timeZone= and PUT /api/v1/sources/{name}/trusted-proxies.
import { createHash } from 'node:crypto';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxJsonLine } from '@/lib/services/ingest/testing/generate.ts';
import { createGatewayPki, type GatewayPki } from '@/lib/testing/gateway-pki.ts';
import { postgresAvailable, RUNTIMES } from '@/lib/testing/databases.ts';
import { hasBuild, runCli, type ServerProcess } from '@/lib/testing/processes.ts';
import { startRuntimeServer, type RuntimeServer } from '@/lib/testing/runtime-server.ts';

const MiB = 1024 * 1024;
/** The wire limit the servers run with: room for the 14 MB bodies, and a 24 MiB one over it. */
const MAX_BYTES = 20 * MiB;
/** Room for the 14 MB gzip's content; the bomb's 256 MiB is far past it. */
const MAX_INFLATED = 32 * MiB;
/** Next.js hands a handler behind its proxy at most this much of a body. */
const PROXY_BODY_LIMIT = 10 * MiB;

/** Distinct NGINX JSON lines [start, start + n) and their bytes (about 530 bytes a line). */
function log(start: number, bytesAtLeast: number): { body: Buffer; lines: number } {
  const out: string[] = [];
  let size = 0;
  for (let i = start; size < bytesAtLeast; i++) {
    const l = nginxJsonLine(i) + '\n';
    out.push(l);
    size += l.length;
  }
  return { body: Buffer.from(out.join('')), lines: out.length };
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Batch {
  source: string | null;
  state: string;
  linesRead: number;
  accepted: number;
  contentSha256: string | null;
}

// The client certificate of the trusted-proxies case: made by openssl once for the file, not per runtime.
let sharedPki: GatewayPki | undefined;
const gatewayPki = () => (sharedPki ??= createGatewayPki('holdfast-through-proxies-'));
afterAll(() => sharedPki?.cleanup());

for (const runtime of RUNTIMES) {
  describe.runIf(hasBuild() || process.env.CI === 'true')(`POST /api/v1/ingest through the server on ${runtime}`, () => {
    let running: RuntimeServer | undefined;
    let server: ServerProcess | undefined;
    let key = '';
    const dirs: string[] = [];

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      running = await startRuntimeServer(runtime, { HOLDFAST_INGEST_MAX_BYTES: String(MAX_BYTES), HOLDFAST_INGEST_MAX_INFLATED_BYTES: String(MAX_INFLATED) });
      ({ server, key } = running);
    }, 240_000);

    afterAll(async () => {
      await running?.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    const post = (query: string, body: string | Buffer | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
      fetch(`${server!.url}/api/v1/ingest${query}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', ...headers },
        body: body as BodyInit, // a Buffer is sent as is (Node's fetch takes any Uint8Array)
        duplex: 'half',
      } as RequestInit);

    /** The same bytes as a chunked upload without Content-Length, as a shipper streams a file. */
    const chunked = (b: Buffer) =>
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let at = 0; at < b.length; at += 256 * 1024) c.enqueue(b.subarray(at, at + 256 * 1024));
          c.close();
        },
      });

    const batchesOf = async (source: string): Promise<Batch[]> => {
      const r = await fetch(`${server!.url}/api/v1/ingest/batches?limit=500`, { headers: { authorization: `Bearer ${key}` } });
      expect(r.status).toBe(200);
      return ((await r.json()) as { batches: Batch[] }).batches.filter((b) => b.source === source);
    };

    /** The batch of `source` committed exactly `lines` lines of exactly these bytes. */
    const expectCommittedWhole = async (source: string, lines: number, sent: Buffer) => {
      const batches = await batchesOf(source);
      expect(batches).toHaveLength(1);
      expect(batches[0]).toMatchObject({ state: 'committed', linesRead: lines, accepted: lines, contentSha256: sha256(sent) });
    };

    const expectNothingCommitted = async (source: string) => {
      expect((await batchesOf(source)).filter((b) => b.state === 'committed')).toEqual([]);
    };

    // Stored blocks (gzip level 0): a real gzip that stays over 10 MiB on the wire.
    const gzipped = (b: Buffer) => gzipSync(b, { level: 0 });
    it.for([
      ['a 14 MB NGINX JSON log with Content-Length', 0, 'plain'],
      ['the same size streamed chunked, without Content-Length', 100_000, 'chunked'],
      ['a gzip body over 10 MiB on the wire', 200_000, 'gzip'],
    ] as const)('%s is read and committed whole', { timeout: 180_000 }, async ([, start, kind], ctx) => {
      if (!server) return ctx.skip();
      const { body: text, lines } = log(start, 14_000_000);
      expect(lines).toBeGreaterThanOrEqual(6000);
      const sent = kind === 'gzip' ? gzipped(text) : text;
      expect(sent.length).toBeGreaterThan(PROXY_BODY_LIMIT);
      const source = `whole-${kind}`;
      const r = await post(
        `?format=nginx-json&source=${source}`,
        kind === 'chunked' ? chunked(sent) : sent,
        kind === 'gzip' ? { 'content-type': 'application/gzip', 'content-encoding': 'gzip' } : {},
      );
      const json = await r.json();
      expect(r.status, JSON.stringify(json)).toBe(200);
      expect(json).toMatchObject({ linesRead: lines, accepted: lines, rejected: 0, duplicates: 0 });
      await expectCommittedWhole(source, lines, sent);
    });

    it('`holdfast ingest FILE --server` with a 14 MB file exits 0 with every line', async (ctx) => {
      if (!server) return ctx.skip();
      const { body, lines } = log(300_000, 14_000_000);
      const dir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-ingest-cli-'));
      dirs.push(dir);
      const file = path.join(dir, 'access.json');
      writeFileSync(file, body);
      const r = await runCli(['ingest', file, '--format', 'nginx-json', '--source', 'cli-14mb', '--server', server.url, '--api-key', key, '--json'], { timeoutMs: 170_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ linesRead: lines, accepted: lines, rejected: 0 });
      await expectCommittedWhole('cli-14mb', lines, body);
    }, 180_000);

    it.for([
      ['with Content-Length', false],
      ['streamed chunked', true],
    ] as const)('a 24 MiB body over HOLDFAST_INGEST_MAX_BYTES %s is refused with a 413 problem and commits nothing', { timeout: 180_000 }, async ([name, isChunked], ctx) => {
      if (!server) return ctx.skip();
      const source = `over-limit-${isChunked ? 'chunked' : 'declared'}`;
      const { body } = log(400_000, 24 * MiB);
      const r = await post(`?format=nginx-json&source=${source}`, isChunked ? chunked(body) : body);
      expect(r.status, name).toBe(413);
      expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await r.json()).toMatchObject({ status: 413, code: 'payload_too_large' });
      await expectNothingCommitted(source);
    });

    it('a 256 KB gzip bomb inflating past HOLDFAST_INGEST_MAX_INFLATED_BYTES is refused with 413 and commits nothing', async (ctx) => {
      if (!server) return ctx.skip();
      // 256 MiB of one byte, as 4 gzip members: about 1,000 times smaller on the wire.
      const member = gzipSync(Buffer.alloc(64 * MiB, 0x20), { level: 9 });
      const bomb = Buffer.concat([member, member, member, member]);
      expect(bomb.length).toBeLessThan(512 * 1024);
      const r = await post('?format=nginx-json&source=gzip-bomb', bomb, { 'content-type': 'application/gzip' });
      expect(r.status).toBe(413);
      expect(await r.json()).toMatchObject({ code: 'payload_too_large' });
      await expectNothingCommitted('gzip-bomb');
    }, 120_000);

    it('a gzip body cut short in transfer is refused with a 400 problem and commits none of the lines before the cut', async (ctx) => {
      if (!server) return ctx.skip();
      const { body } = log(800_000, 2 * MiB);
      const gz = gzipSync(body);
      const cut = gz.subarray(0, Math.floor(gz.length / 2));
      const r = await post('?format=nginx-json&source=gzip-cut', cut, { 'content-type': 'application/gzip' });
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(await r.json()).toMatchObject({ status: 400, code: 'bad_request', detail: expect.stringMatching(/gzip body is corrupt or cut short after line \d+.*nothing was ingested/) });
      await expectNothingCommitted('gzip-cut');
    }, 120_000);

    it('timeZone= reads zone-less times in that zone, an unknown zone is a 400 problem that commits nothing; trusted proxies set over HTTP judge a forwarded certificate from another peer spoofed', async (ctx) => {
      if (!server) return ctx.skip();
      const api = (method: string, p: string, body?: unknown) =>
        fetch(`${server!.url}${p}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      // A real mod_ssl line (Apache ran with TZ=Europe/Berlin: 10:22 local is 09:22 UTC in December).
      const ah = '[Fri Dec 04 10:22:24.581841 2026] [ssl:error] [pid 4636:tid 4640] [client 127.0.0.1:57882] AH02039: Certificate Verification: Error (10): certificate has expired\n';
      const bad = await post('?format=apache-error&source=tz-bad&timeZone=Mars%2FOlympus', ah);
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect(await bad.json()).toMatchObject({ status: 400, code: 'bad_request', errors: [{ path: 'timeZone' }] });
      await expectNothingCommitted('tz-bad');
      for (const [source, qs, want] of [['tz-berlin', '&timeZone=Europe%2FBerlin', '2026-12-04T09:22:24.581Z'], ['tz-utc', '', '2026-12-04T10:22:24.581Z']] as const) {
        const r = await post(`?format=apache-error&source=${source}${qs}`, ah);
        expect(r.status).toBe(200);
        const ev = await api('GET', `/api/v1/events?source=${source}&from=2026-12-01T00:00:00Z`);
        expect(ev.status).toBe(200);
        const rows = ((await ev.json()) as { items: Array<{ occurredAt: string }> }).items;
        expect(rows.map((e) => new Date(e.occurredAt).toISOString())).toEqual([want]);
      }

      // Trusted proxies through PUT …/trusted-proxies: a bad CIDR is a 400 problem naming it; then a
      // backend line whose forwarded certificate came from a peer outside them reads spoofed.
      const refused = await api('PUT', '/api/v1/sources/be-proxied/trusted-proxies', { trustedProxies: ['10.0.0.0/33'] });
      expect(refused.status).toBe(400);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(((await refused.json()) as { detail: string }).detail).toContain('10.0.0.0/33');
      const set = await api('PUT', '/api/v1/sources/be-proxied/trusted-proxies', { trustedProxies: ['127.0.0.1/32'] });
      expect(set.status).toBeLessThan(300);
      const good = gatewayPki().clients.good;
      const b64u = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${b64u({ alg: 'ES256', typ: 'at+jwt' })}.${b64u({ sub: 'svc-a', client_id: 'svc-a', cnf: { 'x5t#S256': good.x5t } })}.c2ln`;
      const backend = (id: string, peer: string) =>
        JSON.stringify({
          time: new Date().toISOString(), request_id: id, correlation_id: id, method: 'GET', scheme: 'https', host: 'api.test', uri: `/api/${id}`, status: 200,
          http_authorization: `Bearer ${token}`, http_client_cert: `:${good.derB64}:`, remote_addr: peer, realip_remote_addr: peer,
        }) + '\n';
      const ing = await post('?format=nginx-json&source=be-proxied', backend('b0000000000000000000000000000001', '127.0.0.1') + backend('b0000000000000000000000000000002', '127.0.0.2'));
      expect(ing.status).toBe(200);
      const verdictOf = async (id: string) => {
        const r = await api('GET', `/api/v1/events?requestId=${id}&from=2026-12-01T00:00:00Z`);
        return ((await r.json()) as { items: Array<{ verdict: string; reason: string | null }> }).items.map((e) => [e.verdict, e.reason]);
      };
      expect(await verdictOf('b0000000000000000000000000000002')).toEqual([['spoofed_client_cert', 'forwarded_cert_untrusted_peer']]);
      expect(await verdictOf('b0000000000000000000000000000001')).toEqual([['ok', null]]);
    }, 120_000);

    /** Raw bytes to the server on one connection; everything it answers until it closes the connection. */
    const rawExchange = (bytes: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const u = new URL(server!.url);
        const socket = net.connect(Number(u.port), u.hostname, () => socket.write(bytes));
        const got: Buffer[] = [];
        socket.on('data', (d) => got.push(d));
        socket.on('error', reject);
        socket.on('close', () => resolve(Buffer.concat(got).toString('utf8')));
      });

    it('a body longer than its Content-Length: the request Content-Length frames is answered with what it committed, then a JSON problem closes the connection', async (ctx) => {
      if (!server) return ctx.skip();
      const lines = Array.from({ length: 5 }, (_, i) => nginxJsonLine(810_000 + i) + '\n');
      const framed = Buffer.from(lines.slice(0, 3).join(''));
      const head = `POST /api/v1/ingest?format=nginx-json&source=cl-short HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${key}\r\ncontent-type: application/x-ndjson\r\ncontent-length: ${framed.length}\r\n\r\n`;
      const answer = await rawExchange(Buffer.concat([Buffer.from(head), framed, Buffer.from(lines.slice(3).join(''))]));
      expect(answer).toMatch(/^HTTP\/1\.1 200 /);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4).replace(/^[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, ''))).toMatchObject({ linesRead: 3, accepted: 3 });
      await expectCommittedWhole('cl-short', 3, framed);
      // Bytes that are no request at all: a JSON problem, not Node's bare 400.
      const garbage = await rawExchange(Buffer.from('not an http request\r\n\r\n'));
      expect(garbage).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(garbage).toContain('content-type: application/problem+json');
      expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 400, code: 'bad_request', detail: expect.stringMatching(/^malformed HTTP request/) });
    }, 120_000);

    // proxy.ts does not run for this path (see its matcher): next.config.mjs sets these instead.
    it.for([
      ['a committed batch', true],
      ['a refused request', false],
    ] as const)('POST /api/v1/ingest answers %s with the security headers', async ([, authorised], ctx) => {
      if (!server) return ctx.skip();
      const r = authorised
        ? await post('?format=nginx-json&source=headers', nginxJsonLine(900_000) + '\n')
        : await fetch(`${server.url}/api/v1/ingest?format=nginx-json`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x\n' });
      expect(r.status).toBe(authorised ? 200 : 401);
      await r.arrayBuffer();
      expect(Object.fromEntries(['x-content-type-options', 'referrer-policy', 'x-frame-options', 'permissions-policy', 'cross-origin-opener-policy'].map((h) => [h, r.headers.get(h)]))).toEqual({
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
        'cross-origin-opener-policy': 'same-origin',
      });
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    });
  });
}
