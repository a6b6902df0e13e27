// POST /api/v1/ingest (and GET /ingest/batches, /sources) called as handlers with real
// streamed Requests: broken input is rejected line by line or with a 4xx problem, never a 500;
// nothing of a refused body is stored; gzip, source-bound keys and operator sessions work.
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '@/lib/auth/api-keys.ts';
import { createSession } from '@/lib/auth/sessions.ts';
import { createUser } from '@/lib/auth/users.ts';
import { ENVOY_LINE, NGINX_JSON_REAL } from '@/lib/ingest/testing/samples.ts';
import { registerDatabase } from '@/lib/server/database.ts';
import { saveSourceLogFormat } from '@/lib/services/ingest/log-formats.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '@/lib/testing/databases.ts';
import { GET as getSources, POST as postSources } from '../sources/route.ts';
import { GET as getBatches } from './batches/route.ts';
import { POST } from './route.ts';

const line = (i: number | string) =>
  JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: `api-${i}`, uri: `/p/${i}`, status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' });

/** A body streamed in pieces, without a Content-Length (as a chunked upload arrives). */
function streamed(parts: Array<string | Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    pull(c) {
      if (i >= parts.length) return c.close();
      const p = parts[i++]!;
      c.enqueue(typeof p === 'string' ? new TextEncoder().encode(p) : p);
    },
  });
}

for (const runtime of RUNTIMES) {
  describe(`POST /api/v1/ingest on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    let key = '';
    /** A key that may read (an ingest-scoped key may only ingest). */
    let readKey = '';

    const post = async (query: string, body: BodyInit | ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) => {
      const res = await POST(
        new Request(`http://localhost:3000/api/v1/ingest${query}`, {
          method: 'POST',
          headers: { host: 'localhost:3000', authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson', ...headers },
          body,
          duplex: 'half',
        } as RequestInit),
      );
      const text = await res.text();
      return { status: res.status, json: JSON.parse(text) as Record<string, unknown> & { errors?: Array<{ line: number; reason: string }> } };
    };
    const eventCount = async () => Number((await t!.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "evidence"."Request"`))[0]!.n);

    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
      registerDatabase(t.db);
      key = (await createApiKey(t.db, { name: 'shipper', role: 'analyst', scopes: ['ingest'], actor: 'test' })).key;
      readKey = (await createApiKey(t.db, { name: 'reader', role: 'analyst', actor: 'test' })).key;
    }, 60_000);
    afterAll(async () => {
      registerDatabase(undefined);
      await t?.drop();
    });
    afterEach(() => {
      delete process.env.HOLDFAST_INGEST_MAX_BYTES;
    });

    it('ingests a streamed body and answers with the batch summary', async (ctx) => {
      if (!t) return ctx.skip();
      const r = await post('?format=nginx-json&source=edge-api', streamed([line(1) + '\n' + line(2).slice(0, 20), line(2).slice(20) + '\n', NGINX_JSON_REAL + '\n']));
      expect(r.status).toBe(200);
      // Gateways don't wait for findings: the coalesced evaluation is scheduled after the commit.
      expect(r.json).toMatchObject({ linesRead: 3, accepted: 3, rejected: 0, duplicates: 0, errors: [], findings: 'scheduled' });
      expect(typeof r.json.batchId).toBe('string');
      const b = await getBatches(new Request('http://localhost:3000/api/v1/ingest/batches?limit=5', { headers: { authorization: `Bearer ${readKey}` } }));
      const batches = ((await b.json()) as { batches: Array<{ id: string; source: string; accepted: number; state: string }> }).batches;
      expect(batches[0]).toMatchObject({ id: r.json.batchId, source: 'edge-api', accepted: 3, state: 'committed' });
    });

    it('findings=wait answers once findings include the batch; other values are refused', async (ctx) => {
      if (!t) return ctx.skip();
      const w = await post('?format=nginx-json&findings=wait', line(30) + '\n');
      expect(w).toMatchObject({ status: 200, json: { accepted: 1, findings: 'evaluated' } });
      const later = await post('?format=nginx-json&findings=later', line(31) + '\n');
      expect(later.status).toBe(400);
      expect(later.json).toMatchObject({ code: 'bad_request', errors: [{ path: 'findings' }] });
    });

    it('takes gzip by Content-Encoding and by magic bytes, and detects the format when omitted', async (ctx) => {
      if (!t) return ctx.skip();
      const gz = gzipSync(Buffer.from([line(10), line(11)].join('\n') + '\n'));
      const a = await post('?format=nginx-json', gz, { 'content-encoding': 'gzip', 'content-type': 'application/gzip' });
      expect(a).toMatchObject({ status: 200, json: { accepted: 2 } });
      const b = await post('', gzipSync(Buffer.from(line(12) + '\n')), { 'content-type': 'application/octet-stream' });
      expect(b).toMatchObject({ status: 200, json: { accepted: 1, format: 'nginx-json' } });
    });

    it('answers 415 / 400 / 422 / 413 problems for bad requests, storing nothing', async (ctx) => {
      if (!t) return ctx.skip();
      const before = await eventCount();
      expect((await post('?format=nginx-json', line(20), { 'content-type': 'text/html' })).status).toBe(415);
      expect((await post('?format=nginx-json', line(20), { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
      expect((await post('?format=nginx-json', line(20), { 'content-encoding': 'br' })).status).toBe(415);
      const unknown = await post('?format=apache', line(20));
      expect(unknown.status).toBe(422);
      expect(unknown.json.code).toBe('validation_failed');
      expect((await post('', 'hello there\nnothing to see\n')).status).toBe(422);
      // Query parameters are refused by the route's query schema, like every route's: 400 naming them.
      for (const [qs, param] of [['?source=bad%20name', 'source'], ['?format=nginx-jsonx', 'format'], ['?format=nginx-json&logFormat=%20', 'logFormat'], ['?format=nginx-json&timeZone=Mars%2FOlympus', 'timeZone'], ['?format=nginx-json&timeZone=%2B25%3A00', 'timeZone']] as const) {
        const r = await post(qs, line(20));
        expect(r.status, qs).toBe(400);
        expect(r.json, qs).toMatchObject({ code: 'bad_request', errors: [{ path: param }] });
      }
      process.env.HOLDFAST_INGEST_MAX_BYTES = '1000';
      expect((await post('?format=nginx-json', line(20), { 'content-length': '5000' })).status).toBe(413);
      const big = Array.from({ length: 40 }, (_, i) => line(100 + i) + '\n');
      const over = await post('?format=nginx-json', streamed(big));
      expect(over.status).toBe(413);
      expect(over.json.code).toBe('payload_too_large');
      expect(await eventCount()).toBe(before);
    });

    it('timeZone=Europe/Berlin reads zone-less times (Apache error log) in that zone, a zone saved on the source is the default, a time with an offset is never shifted', async (ctx) => {
      if (!t) return ctx.skip();
      // A real mod_ssl line (Apache ran with TZ=Europe/Berlin: 10:22 local is 09:22 UTC in December).
      const ah = '[Fri Dec 04 10:22:24.581841 2026] [ssl:error] [pid 4636:tid 4640] [client 127.0.0.1:57882] AH02039: Certificate Verification: Error (10): certificate has expired';
      const at = async (q: string, body: string) => {
        const r = await post(q, body);
        expect(r.status, JSON.stringify(r.json)).toBe(200);
        const [row] = await t!.db.query<{ occurredAt: Date | string }>(`SELECT "occurredAt" FROM "evidence"."Notable" WHERE "batchId" = $1::uuid`, [r.json.batchId]);
        return new Date(row!.occurredAt).toISOString();
      };
      expect(await at('?format=apache-error&source=tz-berlin&timeZone=Europe%2FBerlin', ah)).toBe('2026-12-04T09:22:24.581Z');
      expect(await at('?format=apache-error&source=tz-utc', ah)).toBe('2026-12-04T10:22:24.581Z');
      const nginx = JSON.stringify({ time: '2026-11-22T08:06:14+00:00', request_id: 'tz-1', uri: '/p', status: 401, ssl_client_verify: 'FAILED:certificate revoked', authz_scheme: 'Bearer', has_dpop: '0' });
      expect(await at('?format=nginx-json&source=tz-offset&timeZone=%2B02%3A00', nginx)).toBe('2026-11-22T08:06:14.000Z');
      // A zone saved with the source's configuration is the default; the request's own wins.
      const config = 'LogFormat "%{%Y-%m-%dT%H:%M:%S}t %>s \\"%r\\" %{SSL_CLIENT_VERIFY}x" tzfmt';
      const saved = await saveSourceLogFormat(t.db, { source: 'tz-saved', format: 'apache', config, timeZone: 'europe/berlin', actor: 'admin@test' });
      expect(saved).toMatchObject({ timeZone: 'Europe/Berlin', warnings: expect.arrayContaining([expect.stringContaining('it is read in Europe/Berlin, the time zone given')]) });
      const apacheLine = (path: string) => `2026-12-04T10:22:24 401 "GET ${path} HTTP/1.1" FAILED:certificate revoked`;
      expect(await at('?source=tz-saved', apacheLine('/a'))).toBe('2026-12-04T09:22:24.000Z');
      expect(await at('?source=tz-saved&timeZone=UTC', apacheLine('/b'))).toBe('2026-12-04T10:22:24.000Z');
    });

    // Defence in depth: a layer between the socket and the handler that cuts the body (Next.js
    // does, at 10 MB, for requests its proxy sees) must fail the batch, never commit a prefix.
    it.for([
      ['ends short of its Content-Length', 40, 30, false],
      ['runs past its Content-Length', 20, 30, false],
      ['is gzip and ends short of its Content-Length', 40, 30, true],
    ] as const)('a body that %s is refused with 400 bad_request and commits nothing', async ([name, declaredLines, sentLines, gzip], ctx) => {
      if (!t) return ctx.skip();
      const tag = name.replace(/\W+/g, '-');
      const lines = (n: number) => Array.from({ length: n }, (_, i) => line(`${tag}-${i}`) + '\n').join('');
      const declaredBody = gzip ? gzipSync(lines(declaredLines)) : Buffer.from(lines(declaredLines));
      const sent = gzip ? declaredBody.subarray(0, Math.floor(declaredBody.length * (sentLines / declaredLines))) : Buffer.from(lines(sentLines));
      const before = await eventCount();
      const r = await post(`?format=nginx-json&source=${tag}`, streamed([sent]), { 'content-length': String(declaredBody.length) });
      expect(r.status, JSON.stringify(r.json)).toBe(400);
      expect(r.json.code).toBe('bad_request');
      expect(String(r.json.detail)).toMatch(/Content-Length/);
      expect(await eventCount()).toBe(before);
      const b = await getBatches(new Request('http://localhost:3000/api/v1/ingest/batches?limit=50', { headers: { authorization: `Bearer ${readKey}` } }));
      expect(b.status).toBe(200);
      const batches = ((await b.json()) as { batches: Array<{ source: string | null; state: string }> }).batches;
      expect(batches.filter((x) => x.source === tag && x.state === 'committed')).toEqual([]);
    });

    it('a body that matches its Content-Length exactly commits whole', async (ctx) => {
      if (!t) return ctx.skip();
      const body = Buffer.from(Array.from({ length: 25 }, (_, i) => line(500 + i) + '\n').join(''));
      const r = await post('?format=nginx-json', streamed([body.subarray(0, 100), body.subarray(100)]), { 'content-length': String(body.length) });
      expect(r).toMatchObject({ status: 200, json: { linesRead: 25, accepted: 25 } });
    });

    it('rejects a corpus of broken input line by line with reasons, never a 500', async (ctx) => {
      if (!t) return ctx.skip();
      const tenMb = 'x'.repeat(10 * 1024 * 1024);
      const corpus: Array<[string, Array<string | Uint8Array>, string]> = [
        ['truncated line', [line(200).slice(0, 40) + '\n', line(201) + '\n', line(202).slice(0, 60)], 'nginx-json'],
        ['invalid UTF-8', [Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), line(203) + '\n'], 'nginx-json'],
        ['10 MB single line', [`{"time":"2026-11-22T08:06:14+00:00","uri":"${tenMb}"}\n`, line(204) + '\n'], 'nginx-json'],
        ['wrong format', [ENVOY_LINE + '\n', 'GET / HTTP/1.1\n'], 'nginx-json'],
        ['binary garbage', [new Uint8Array(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))], 'nginx-json'],
        ['JSON with wrong types', ['{"time":42,"status":"teapot","uri":[1,2],"ssl_client_verify":{"a":1}}\n', '[1,2,3]\n', 'null\n', '"str"\n'], 'nginx-json'],
        ['introspection with wrong types', ['{"active":"yes","exp":"tomorrow","cnf":"x"}\n', '{"active":true}\n'], 'introspection'],
        ['csv without header', ['a,b,c\n1,2,3\n'], 'inventory-csv'],
        ['scanner report truncated', ['[{"RuleID":"x","Secret":"abc",\n'], 'gitleaks'],
      ];
      for (const [name, parts, format] of corpus) {
        const r = await post(`?format=${format}`, streamed(parts));
        expect(r.status, `${name}: ${JSON.stringify(r.json).slice(0, 300)}`).toBe(200);
        expect(r.json.rejected, name).toBeGreaterThan(0);
        for (const e of r.json.errors ?? []) {
          expect(e.line, name).toBeGreaterThan(0);
          expect(typeof e.reason, name).toBe('string');
        }
      }
      // Undetectable garbage without a format: 422, not 500.
      const g = await post('', streamed([new Uint8Array([0, 1, 2, 3, 255, 254, 10, 0, 0])]));
      expect(g.status).toBe(422);
    }, 60_000);

    it('an operator session needs the CSRF header; a key bound to a source ingests as that source', async (ctx) => {
      if (!t) return ctx.skip();
      const u = await createUser(t.db, { email: 'op@example.com', role: 'operator', password: 'long password for op', actor: 'test' });
      const s = await createSession(t.db, u.id, { hours: 1 });
      const send = (csrf: string | null) =>
        POST(
          new Request('http://localhost:3000/api/v1/ingest?format=nginx-json', {
            method: 'POST',
            headers: { host: 'localhost:3000', origin: 'http://localhost:3000', cookie: `hf_session=${s.cookieValue}`, 'content-type': 'text/plain', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
            body: line(300) + '\n',
          }),
        );
      expect((await send(null)).status).toBe(403);
      expect((await send(s.csrfSecret)).status).toBe(200);

      const admin = await createApiKey(t.db, { name: 'admin', role: 'admin', actor: 'test' });
      const created = await postSources(
        new Request('http://localhost:3000/api/v1/sources', {
          method: 'POST',
          headers: { host: 'localhost:3000', 'content-type': 'application/json', authorization: `Bearer ${admin.key}` },
          body: JSON.stringify({ name: 'kong-prod', format: 'kong' }),
        }),
      );
      expect(created.status).toBe(201);
      const src = (await created.json()) as { id: string; apiKey: { key: string } };
      const saved = key;
      key = src.apiKey.key;
      try {
        const r = await post('?format=nginx-json&source=ignored', line(301) + '\n');
        expect(r.status).toBe(200);
      } finally {
        key = saved;
      }
      const list = await getSources(new Request('http://localhost:3000/api/v1/sources', { headers: { authorization: `Bearer ${admin.key}` } }));
      const sources = ((await list.json()) as { sources: Array<{ name: string; eventsTotal: number; batches: number; keys: unknown[]; lastSeenAt: string | null }> }).sources;
      const kong = sources.find((x) => x.name === 'kong-prod')!;
      expect(kong).toMatchObject({ eventsTotal: 1, batches: 1 });
      expect(kong.keys).toHaveLength(1);
      expect(kong.lastSeenAt).not.toBeNull();
      expect(sources.find((x) => x.name === 'ignored')).toBeUndefined();
    });
  });
}
