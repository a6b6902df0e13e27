// Estate lists (CONTRACT.md): `holdfast tokens`, `holdfast findings`, `holdfast events`.
// JSON lines in exactly the contract's shapes; same filters as the views and /api/v1 lists;
// pages through the keyset cursor, directly on the database or with --server through the API.
import type { Database } from '../../db/open.ts';
// The lists' code loads when a command runs (lib/cli/main.ts: a command loads only its own code).
import type { EventRow, FindingRow, TokenRow } from '../../services/estate/lists.ts';
import type { Page } from '../../services/estate/query.ts';
import type { TokenRevocationState } from '../../revocation/token-revocation-state.ts';
import type { Command, CommandContext } from '../command.ts';
import { emitLines, UsageError } from '../io.ts';
import { callApi } from '../remote.ts';

function limitOf(ctx: CommandContext, def: number): number {
  const v = ctx.values.limit;
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isInteger(n) || n < 1 || n > 10_000_000) throw new UsageError('--limit must be a whole number from 1 to 10000000');
  return n;
}

/** Pages through a list until `max` rows; `fetch(after, pageSize)` gets one page. */
async function collect<T>(max: number, fetch: (after: string | undefined, size: number) => Promise<Page<T>>, out: (rows: T[]) => void): Promise<void> {
  let after: string | undefined;
  let left = max;
  for (;;) {
    const size = Math.min(500, left);
    const page = await fetch(after, size);
    const rows = page.items.slice(0, left);
    out(rows);
    left -= rows.length;
    if (!page.nextCursor || left <= 0) return;
    after = page.nextCursor;
  }
}

function qs(params: Record<string, string | undefined>, after: string | undefined, size: number): string {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined) as [string, string][]);
  q.set('limit', String(size));
  if (after) q.set('after', after);
  return q.toString();
}

async function run<T>(
  ctx: CommandContext,
  path: string,
  params: Record<string, string | undefined>,
  max: number,
  local: (db: Database, params: URLSearchParams) => Promise<Page<T>>,
  validate: (p: URLSearchParams) => void,
  shape: (r: T) => unknown,
  human: (r: T) => string,
): Promise<void> {
  // Validate locally first, so bad input is exit 2 with one line in both modes.
  try {
    validate(new URLSearchParams(qs(params, undefined, 1)));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const emit = (rows: T[]) => emitLines(ctx.io, rows.map(shape), (r) => human(r as T));
  const humanEmit = (rows: T[]) => (ctx.io.json ? emit(rows) : rows.forEach((r) => ctx.io.out(human(r) + '\n')));
  if (ctx.remote) {
    const remote = ctx.remote;
    await collect<T>(max, (after, size) => callApi<Page<T>>(remote, 'GET', `/api/v1/${path}?${qs(params, after, size)}`), humanEmit);
  } else {
    await ctx.withDb((db) => collect<T>(max, (after, size) => local(db, new URLSearchParams(qs(params, after, size))), humanEmit));
  }
}

export const tokensCommand: Command = {
  name: 'tokens',
  summary: 'list tokens (JSON lines with --json)',
  usage: 'holdfast tokens [--binding bearer|mtls|dpop] [--risk high|flagged|critical] [--status S] [--exposure none|exposed] [--identity ID_OR_NAME] [--limit N] [--json]',
  options: { binding: { type: 'string' }, risk: { type: 'string' }, status: { type: 'string' }, exposure: { type: 'string' }, identity: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx) {
    const v = ctx.values as Record<string, string | undefined>;
    const params = { binding: v.binding, risk: v.risk, status: v.status, exposure: v.exposure, identity: v.identity };
    const [{ listTokens, parseTokenFilters }, { withRevocationState }] = await Promise.all([
      import('../../services/estate/lists.ts'),
      import('../../revocation/token-revocation-state.ts'),
    ]);
    await run<TokenRow & { state?: string; revocationState?: TokenRevocationState | null }>(
      ctx, 'tokens', params, limitOf(ctx, 10_000_000),
      // Each row also says whether a revocation is pending or failed (CONTRACT: field added).
      async (db, p) => {
        const page = await listTokens(db, parseTokenFilters(p), p);
        return { ...page, items: await withRevocationState(db, page.items) };
      },
      (p) => parseTokenFilters(p),
      (t) => ({ id: t.id, fingerprint: t.fingerprint, identity: t.identity, binding: t.binding, jti: t.jti, expiresAt: t.expiresAt, ttlSeconds: t.ttlSeconds, status: t.status, exposure: t.exposure, revocationState: t.revocationState ?? null }),
      (t) => `${t.id}  ${t.binding.padEnd(6)}  ${(t.state ?? t.status).padEnd(7)}  ${t.exposure === 'exposed' ? 'EXPOSED ' : '        '}${t.identity}  ${t.fingerprint.slice(0, 12)}…`,
    );
  },
};

export const findingsCommand: Command = {
  name: 'findings',
  summary: 'list findings, most urgent first (JSON lines with --json)',
  usage: 'holdfast findings [--rule R] [--severity S] [--status active|open|acknowledged|resolved|all] [--limit N] [--json]   (default status: active = open or acknowledged)',
  options: { rule: { type: 'string' }, severity: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' } },
  async run(ctx) {
    const v = ctx.values as Record<string, string | undefined>;
    const params = { rule: v.rule, severity: v.severity, status: v.status ?? 'active' };
    const { listFindings, parseFindingFilters } = await import('../../services/estate/lists.ts');
    await run<FindingRow>(
      ctx, 'findings', params, limitOf(ctx, 10_000_000),
      (db, p) => listFindings(db, parseFindingFilters(p), p),
      (p) => parseFindingFilters(p),
      (f) => ({ id: f.id, rule: f.rule, severity: f.severity, identity: f.identity, tokenId: f.tokenId, status: f.status }),
      (f) => `${f.severity.padEnd(8)}  ${f.rule.padEnd(24)}  ${f.status.padEnd(12)}  ${f.title}`,
    );
  },
};

export const eventsCommand: Command = {
  name: 'events',
  summary: 'list binding events, newest first (JSON lines with --json)',
  usage:
    "holdfast events [--request-id ID (also finds every hop that carried it as X-Request-ID)] [--verdict V (its own verdict or its path's chainVerdict)] [--failures binding|any|all] [--identity ID_OR_NAME] [--gateway G] [--source S] [--network ADDR (as simulate's networks name it)] [--route 'HOST /PREFIX' (as simulate's routes name it)] [--route-prefix HOST/PATH (a policy's --route)] [--from ISO] [--to ISO] [--limit N (default 1000)] [--json]",
  options: {
    'request-id': { type: 'string' }, verdict: { type: 'string' }, failures: { type: 'string' }, identity: { type: 'string' }, gateway: { type: 'string' }, source: { type: 'string' },
    network: { type: 'string' }, route: { type: 'string' }, 'route-prefix': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, limit: { type: 'string' },
  },
  async run(ctx) {
    const v = ctx.values as Record<string, string | undefined>;
    // The API's names (GET /api/v1/events): --route-prefix is its routePrefix.
    const params = {
      requestId: v['request-id'], verdict: v.verdict, failures: v.failures, identity: v.identity, gateway: v.gateway, source: v.source,
      network: v.network, route: v.route, routePrefix: v['route-prefix'], from: v.from, to: v.to,
    };
    const { listEvents, parseEventFilters } = await import('../../services/estate/lists.ts');
    await run<EventRow>(
      ctx, 'events', params, limitOf(ctx, 1000),
      (db, p) => listEvents(db, parseEventFilters(p), p),
      (p) => parseEventFilters(p),
      (e) => ({
        id: e.id, requestId: e.requestId, correlationId: e.correlationId, source: e.source, occurredAt: e.occurredAt, identity: e.identity,
        tokenFingerprint: e.tokenFingerprint, x5tS256: e.x5tS256, jkt: e.jkt, verdict: e.verdict, reason: e.reason, chainVerdict: e.chainVerdict,
      }),
      (e) => `${e.occurredAt}  ${e.verdict.padEnd(24)}  ${(e.reason ?? '').padEnd(12)}  ${e.identity ?? '—'}  ${e.requestId ?? ''}${e.chainVerdict ? `  path: ${e.chainVerdict}` : ''}`,
    );
  },
};

export const estateCommands: Command[] = [tokensCommand, findingsCommand, eventsCommand];
