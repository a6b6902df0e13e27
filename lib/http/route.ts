// The single wrapper every /api/v1 handler goes through: authentication, permission check,
// CSRF check for cookie sessions, body limits and zod validation of input (and output when a
// schema is given), errors mapped to JSON problems in one place. Web-standard Request and
// Response only, so handlers are testable without a Next.js server.
import { viewCache } from './view-cache.ts';
import { readSetting } from '../config.ts';
import { timingSafeEqual } from 'node:crypto';
import type { z } from 'zod';
import { can, refusalMessage, type Permission, type Principal } from '../auth/permissions.ts';
import type { Database } from '../db/open.ts';
import { parseParams } from '../domain/query-params.ts';
import { findUnsafeText, storableText, unsafeTextMessage, unsafeTextReason } from '../domain/unsafe-text.ts';
import { HoldfastError } from '../errors.ts';
import { getDatabase } from '../server/database.ts';
import { errorToProblem } from './problem.ts';
import { principalFromRequest } from './request-auth.ts';

export interface RouteContext<P, B, Q = undefined> {
  req: Request;
  db: Database;
  principal: Principal;
  params: P;
  /** The raw query string; routes with a `query` schema read `q` instead. */
  query: URLSearchParams;
  /** The query parsed by the route's `query` schema (undefined without one). */
  q: Q;
  body: B;
  ip: string | null;
}

export interface RouteOptions<B, O, Q = undefined> {
  /** Permission needed; `public` routes skip authentication (sign-in, health). */
  permission: Permission | 'public';
  /**
   * The query string's schema, over an object of its parameters (the first value of a repeated
   * one). A value it refuses is a 400 bad_request naming the parameter: the request target is
   * wrong (bodies that fail their schema are 422).
   */
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  output?: z.ZodType<O>;
  maxBodyBytes?: number;
  /** The body may be left out (no Content-Type and no length): the schema then parses `{}`. */
  bodyOptional?: boolean;
  /**
   * A successful authenticated state-changing request clears this instance's view cache (lib/http/view-cache.ts)
   * so the writer sees its change at once. Ingest sets this: batches arrive continuously, and
   * clearing on each would defeat the cache exactly when the dashboard is busiest (figures are
   * then at most HOLDFAST_VIEW_CACHE_SECONDS old).
   */
  keepViewCache?: boolean;
}

type Handler<P, B, O, Q> = (ctx: RouteContext<P, B, Q>) => Promise<O | Response>;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const CSRF_HEADER = 'x-csrf-token';

/** Header the Holdfast server sets from the TCP peer address (any client-sent copy is replaced). */
export const REMOTE_ADDR_HEADER = 'x-holdfast-remote-addr';

/**
 * The client's address. Forwarding headers are spoofable by anyone who reaches the app
 * directly, so they count only when HOLDFAST_TRUST_PROXY=1 says a reverse proxy sets them.
 */
export function clientIp(headers: Headers, trustProxy = readSetting('HOLDFAST_TRUST_PROXY') === '1'): string | null {
  if (trustProxy) {
    const forwarded = headers.get('x-real-ip') ?? headers.get('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  return headers.get(REMOTE_ADDR_HEADER);
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Same-origin check: Origin (or Referer) must name the host the request was sent to. That host is
 * the Host header; X-Forwarded-Host only when HOLDFAST_TRUST_PROXY=1 says a reverse proxy sets it —
 * otherwise anyone reaching the app directly could name their own site in both headers.
 */
export function sameOrigin(req: Request, trustProxy = readSetting('HOLDFAST_TRUST_PROXY') === '1'): boolean {
  const origin = req.headers.get('origin') ?? req.headers.get('referer');
  if (!origin) return true; // non-browser clients send none; the CSRF token still applies
  try {
    const o = new URL(origin);
    const forwarded = trustProxy ? req.headers.get('x-forwarded-host')?.split(',')[0]?.trim() : undefined;
    const host = forwarded || (req.headers.get('host') ?? new URL(req.url).host);
    return o.host === host;
  } catch {
    return false;
  }
}

export function checkCsrf(req: Request, principal: Principal): void {
  if (!UNSAFE.has(req.method) || principal.kind !== 'user') return;
  const token = req.headers.get(CSRF_HEADER);
  if (!sameOrigin(req) || !token || !principal.csrfSecret || !safeEqual(token, principal.csrfSecret)) {
    throw new HoldfastError('csrf_failed', 'missing or wrong CSRF token, or a cross-origin request');
  }
}

export async function readJsonBody(req: Request, maxBytes: number): Promise<unknown> {
  const type = req.headers.get('content-type') ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    throw new HoldfastError('unsupported_media_type', 'send the body as application/json');
  }
  const declared = Number(req.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new HoldfastError('payload_too_large', `body over ${maxBytes} bytes`);
  const reader = req.body?.getReader();
  if (!reader) throw new HoldfastError('bad_request', 'a JSON body is required');
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new HoldfastError('payload_too_large', `body over ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new HoldfastError('bad_request', 'the body is not valid JSON');
  }
}

/**
 * Path parameters and query values PostgreSQL cannot store (a NUL, a lone surrogate) are refused
 * here, for every route, before a handler can pass them to a query (where they become a 500).
 */
export function refuseUnstorableInput(params: unknown, query: URLSearchParams): void {
  const inParams = findUnsafeText(params);
  if (inParams) throw new HoldfastError('bad_request', `path segment ${unsafeTextMessage(inParams.reason)}`, { errors: [{ path: inParams.path, message: unsafeTextMessage(inParams.reason) }] });
  for (const [k, v] of query) {
    const reason = unsafeTextReason(k) ?? unsafeTextReason(v);
    if (reason) throw new HoldfastError('bad_request', `query parameter ${storableText(k).slice(0, 40)} ${unsafeTextMessage(reason)}`, { errors: [{ path: storableText(k).slice(0, 40), message: unsafeTextMessage(reason) }] });
  }
}

/** A query string through its schema; a refused value is a 400 naming the parameter. */
export function parseQuery<Q>(schema: z.ZodType<Q>, query: URLSearchParams): Q {
  return parseParams(schema, query, (first) => `query parameter ${first.path || '(query)'}: ${first.message}`);
}

/** The same for every string of a JSON body (member names too), with the path of the first one. */
export function refuseUnstorableBody<T>(body: T): T {
  const found = findUnsafeText(body);
  if (found) throw new HoldfastError('validation_failed', `${found.path || 'the body'} ${unsafeTextMessage(found.reason)}`, { errors: [{ path: found.path, message: unsafeTextMessage(found.reason) }] });
  return body;
}

/** A route handler as Next.js calls it; `query` is the schema its query string is parsed with (the OpenAPI test compares it with the document). */
export type RouteHandler<P> = ((req: Request, ctx?: { params?: Promise<P> }) => Promise<Response>) & { readonly query?: z.ZodType };

export function apiRoute<P = Record<string, string>, B = undefined, O = unknown, Q = undefined>(opts: RouteOptions<B, O, Q>, handler: Handler<P, B, O, Q>): RouteHandler<P> {
  const route = async (req: Request, ctx?: { params?: Promise<P> }): Promise<Response> => {
    try {
      const db = await getDatabase();
      let principal: Principal | null = null;
      if (opts.permission !== 'public') {
        principal = await principalFromRequest(db, req.headers, { method: req.method, url: req.url });
        if (!principal) throw new HoldfastError('unauthorized', 'sign in or send an API key');
        if (!can(principal, opts.permission)) {
          throw new HoldfastError('forbidden', refusalMessage(principal, opts.permission));
        }
        checkCsrf(req, principal);
      } else if (UNSAFE.has(req.method) && !sameOrigin(req)) {
        throw new HoldfastError('csrf_failed', 'cross-origin request refused');
      }
      const query = new URL(req.url).searchParams;
      const params = ((await ctx?.params) ?? {}) as P;
      refuseUnstorableInput(params, query);
      const q = (opts.query ? parseQuery(opts.query, query) : undefined) as Q;
      let body = undefined as B;
      if (opts.body) {
        const absent = opts.bodyOptional && !req.headers.get('content-type') && (req.headers.get('content-length') ?? '0') === '0' && !req.headers.get('transfer-encoding');
        body = opts.body.parse(refuseUnstorableBody(absent ? {} : await readJsonBody(req, opts.maxBodyBytes ?? 1024 * 1024)));
      }
      const result = await handler({
        req,
        db,
        principal: principal ?? { kind: 'user', id: 'anonymous', label: 'anonymous', role: 'analyst', scopes: [] },
        params,
        query,
        q,
        body,
        ip: clientIp(req.headers),
      });
      if (principal && UNSAFE.has(req.method) && !opts.keepViewCache && (!(result instanceof Response) || result.ok)) viewCache(db).clear();
      const res = result instanceof Response ? result : Response.json(opts.output ? opts.output.parse(result) : result, { headers: { 'cache-control': 'no-store' } });
      // The DPoP nonce for the caller's next proof (RFC 9449 §8.2).
      if (principal?.dpopNonce) {
        try {
          res.headers.set('dpop-nonce', principal.dpopNonce);
        } catch {
          /* immutable headers (a redirect): the client is asked for a nonce when it needs one */
        }
      }
      return res;
    } catch (e) {
      return errorToProblem(e);
    }
  };
  return Object.assign(route, { query: opts.query });
}
