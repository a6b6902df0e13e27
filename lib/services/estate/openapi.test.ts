// The OpenAPI document against the route files under app/api/v1: every method of every route is
// documented, and each route's query parameters are the schema the route parses its query string
// with (apiRoute hands it on as the handler's `query`), so the document cannot promise a filter,
// value or limit the route refuses, nor leave out one it accepts.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RouteHandler } from '../../http/route.ts';
import { buildOpenApi, OPERATIONS } from './openapi.ts';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../../app/api/v1');
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: { type?: string; enum?: string[]; minimum?: number; maximum?: number };
}
type Doc = { openapi: string; paths: Record<string, Record<string, { parameters?: Parameter[] }>> };

function routeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? routeFiles(p) : n === 'route.ts' ? [p] : [];
  });
}

/** Every method of every route file: its OpenAPI path, method and handler. */
async function routes(): Promise<{ key: string; path: string; method: string; handler: RouteHandler<unknown> }[]> {
  const out = [];
  for (const file of routeFiles(ROOT)) {
    const rel = '/' + path.relative(ROOT, path.dirname(file)).split(path.sep).join('/').replace(/\[(\w+)\]/g, '{$1}');
    const mod = (await import(file)) as Record<string, unknown>;
    for (const m of METHODS) {
      if (typeof mod[m] === 'function') out.push({ key: `${m} ${rel}`, path: rel, method: m.toLowerCase(), handler: mod[m] as RouteHandler<unknown> });
    }
  }
  return out;
}

const doc = buildOpenApi() as Doc;
const queryParams = (p: string, method: string) => (doc.paths[p]?.[method]?.parameters ?? []).filter((x) => x.in === 'query');
/** The issues a schema raises about one parameter when the query holds only that one. */
const issuesAbout = (schema: z.ZodType, name: string, value: string | undefined) =>
  (schema.safeParse(value === undefined ? {} : { [name]: value }).error?.issues ?? []).filter((i) => i.path[0] === name).map((i) => i.message);

describe('OpenAPI document against the route files', () => {
  it('documents every method of every route file under app/api/v1', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const missing = (await routes()).filter((r) => !doc.paths[r.path]?.[r.method]).map((r) => r.key);
    expect(missing).toEqual([]);
  });

  it('describes each route\'s query with the very schema the route parses it with', async () => {
    const all = await routes();
    expect(all.filter((r) => r.handler.query).length, 'routes with a query schema').toBeGreaterThanOrEqual(15);
    for (const r of all) {
      const op = OPERATIONS.find((o) => o.path === r.path && o.method === r.method);
      expect.soft(op?.query, `${r.key}: the document's query schema`).toBe(r.handler.query);
      const accepted = r.handler.query ? (z.toJSONSchema(r.handler.query, { io: 'input', unrepresentable: 'any' }) as { properties?: object }).properties ?? {} : {};
      expect.soft(queryParams(r.path, r.method).map((p) => p.name).sort(), `${r.key}: documented query parameters`).toEqual(Object.keys(accepted).sort());
    }
  });

  it('every documented parameter has a description, and the route accepts exactly the values and range the document gives', async () => {
    for (const r of (await routes()).filter((x) => x.handler.query)) {
      const schema = r.handler.query!;
      for (const p of queryParams(r.path, r.method)) {
        const where = `${r.key} ${p.name}`;
        expect.soft(p.description, `${where}: description`).toBeTruthy();
        expect.soft(issuesAbout(schema, p.name, undefined).length > 0, `${where}: required`).toBe(p.required);
        if (p.schema.enum) {
          for (const v of p.schema.enum) expect.soft(issuesAbout(schema, p.name, v), `${where}=${v}`).toEqual([]);
          expect.soft(issuesAbout(schema, p.name, 'not-a-documented-value').length, `${where}: a value outside the enum`).toBeGreaterThan(0);
        }
        if (p.schema.type === 'integer') {
          const { minimum, maximum } = p.schema;
          expect.soft([minimum, maximum].every(Number.isSafeInteger), `${where}: range`).toBe(true);
          expect.soft(issuesAbout(schema, p.name, String(minimum)), `${where}=${minimum}`).toEqual([]);
          expect.soft(issuesAbout(schema, p.name, String(maximum)), `${where}=${maximum}`).toEqual([]);
          if (minimum! > 0) expect.soft(issuesAbout(schema, p.name, String(minimum! - 1)).length, `${where}=${minimum! - 1}`).toBeGreaterThan(0);
          expect.soft(issuesAbout(schema, p.name, String(maximum! + 1)).length, `${where}=${maximum! + 1}`).toBeGreaterThan(0);
        }
      }
    }
  });
});
