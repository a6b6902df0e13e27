// apiRoute's input checks (issue #14, items 3 and 9), called as a handler on both runtimes: text
// PostgreSQL cannot store is refused in every path parameter, query value and JSON body with a
// 4xx problem before a handler runs; and the Origin check trusts X-Forwarded-Host only behind
// a trusted proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { registerDatabase } from '../server/database.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../testing/databases.ts';
import { apiRoute, sameOrigin } from './route.ts';

const pgUp = await postgresAvailable();

describe.each(RUNTIMES)('apiRoute refuses unstorable input (%s)', (runtime) => {
  const skip = runtime === 'postgres' && !pgUp;
  let t: TestDatabase;
  let reached = 0;
  // A public route whose handler sends what it got to PostgreSQL, as the list routes do.
  const handler = apiRoute<{ id: string }, { name: string } | undefined>({ permission: 'public', body: z.object({ name: z.string() }).optional() }, async ({ db, params, query, body }) => {
    reached++;
    const rows = await db.query<{ v: string }>('SELECT $1::text || $2::text || $3::text AS v', [params.id ?? '', query.get('q') ?? '', body?.name ?? '']);
    return { v: rows[0]!.v };
  });
  const call = (url: string, init: RequestInit = {}, id = 'x') => handler(new Request(`http://holdfast.test${url}`, init), { params: Promise.resolve({ id }) });
  const post = (body: string) => call('/r', { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  beforeAll(async () => {
    if (skip) return;
    t = await openTestDatabase(runtime);
    registerDatabase(t.db);
  });
  afterAll(async () => {
    registerDatabase(undefined);
    await t?.drop();
  });

  it.runIf(!skip).each([
    ['a NUL in a query value', 400, 'bad_request', () => call('/r?q=a%00b')],
    ['a NUL in a query name', 400, 'bad_request', () => call('/r?a%00=1')],
    ['a NUL in a path parameter', 400, 'bad_request', () => call('/r', {}, 'a\0b')],
    ['a lone surrogate in a path parameter', 400, 'bad_request', () => call('/r', {}, 'a\ud800')],
    ['a NUL in a body string', 422, 'validation_failed', () => post('{"name":"a\\u0000b"}')],
    ['a lone surrogate in a body string', 422, 'validation_failed', () => post('{"name":"\\udc00"}')],
    ['a NUL in a body member name (stripped by zod, so refused before it)', 422, 'validation_failed', () => post('{"name":"ok","\\u0000":1}')],
    ['a NUL deep in a body', 422, 'validation_failed', () => post(`{"name":"ok","x":${'['.repeat(500)}"\\u0000"${']'.repeat(500)}}`)],
  ])('%s → %i %s, the handler never runs', async (_name, status, code, send) => {
    const before = reached;
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as { code: string }).code).toBe(code);
    expect(reached).toBe(before);
  });

  it.runIf(!skip)('names the body field that holds the NUL', async () => {
    const res = await post('{"name":"ok","nested":{"list":["fine","bad\\u0000"]}}');
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe('nested.list.1');
  });

  it.runIf(!skip)('passes ordinary text, emoji included, through to the database', async () => {
    const res = await post('{"name":"svc-ä😀"}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ v: 'x' + 'svc-ä😀' });
  });
});

describe('sameOrigin', () => {
  const req = (headers: Record<string, string>) => new Request('http://holdfast.internal:3000/api/v1/x', { method: 'POST', headers });
  it.each([
    ['Origin equal to Host', { host: 'holdfast.example', origin: 'https://holdfast.example' }, false, true],
    ['Origin of another site', { host: 'holdfast.example', origin: 'https://evil.example' }, false, false],
    ['another site that also sends X-Forwarded-Host, without a trusted proxy', { host: 'holdfast.example', origin: 'https://evil.example', 'x-forwarded-host': 'evil.example' }, false, false],
    ['the public host in X-Forwarded-Host behind a trusted proxy', { host: 'holdfast.internal:3000', origin: 'https://holdfast.example', 'x-forwarded-host': 'holdfast.example' }, true, true],
    ['the first of several X-Forwarded-Host values behind a trusted proxy', { host: 'holdfast.internal:3000', origin: 'https://holdfast.example', 'x-forwarded-host': 'holdfast.example, proxy.internal' }, true, true],
    ['another site behind a trusted proxy', { host: 'holdfast.internal:3000', origin: 'https://evil.example', 'x-forwarded-host': 'holdfast.example' }, true, false],
    ['a Referer of another site', { host: 'holdfast.example', referer: 'https://evil.example/page' }, false, false],
    ['an unparsable Origin', { host: 'holdfast.example', origin: 'null' }, false, false],
    ['no Origin or Referer (not a browser)', { host: 'holdfast.example' }, false, true],
  ])('%s', (_name, headers, trustProxy, expected) => {
    expect(sameOrigin(req(headers), trustProxy)).toBe(expected);
  });
});
