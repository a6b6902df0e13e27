// A source's saved log format and how ingest uses it, on both runtimes: saved only once it compiles
// (the compiler's one-line reason otherwise), audited by SHA-256 and never by its text; an ingest
// naming the source reads with it when it brings no configuration of its own (request > saved >
// none); and the whole-batch repeat check knows the log format: the same body read with another
// configuration is read again, with the same one it is still a repeat after the ledger forgot it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HoldfastError } from '../../errors.ts';
import { openTestDatabase, postgresAvailable, RUNTIMES, type TestDatabase } from '../../testing/databases.ts';
import { maintainEvidence } from '../evidence/maintenance.ts';
import { DEFAULT_RETENTION } from '../evidence/partitions.ts';
import { logFormatSha256 } from './log-format-hash.ts';
import {
  compileLogFormat, deleteSourceLogFormat, getSourceLogFormat, listSourceLogFormats, MAX_LOG_FORMAT_CONFIG_BYTES, resolveIngestLogFormat, saveSourceLogFormat,
} from './log-formats.ts';
import { ingestStream } from './pipeline.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const LINES = 40;

// The same position read two ways: a trace header (a label: requests keyed by their line) or
// NGINX's own $request_id (keyed by it). An owner who named the wrong variable fixes it and re-sends.
const CONFIG_TRACE = `http {
  log_format edge '$time_iso8601 $status "$request" $ssl_client_verify $ssl_client_s_dn rid=$http_x_trace';
  access_log /var/log/nginx/edge.log edge;
}`;
const CONFIG_RID = CONFIG_TRACE.replace('rid=$http_x_trace', 'rid=$request_id');
// Two formats in one file and no access_log naming one: a name must be chosen.
const CONFIG_TWO = `log_format edge '$time_iso8601 $status "$request" $ssl_client_verify $ssl_client_s_dn rid=$request_id';
log_format edge2 '$time_iso8601 $status "$request" $ssl_client_verify $ssl_client_s_dn rid=$request_id';`;

/** Lines as NGINX writes them for `edge` (a request id of 32 hex digits, as $request_id is). */
function body(n = LINES, start = 0): string {
  const out: string[] = [];
  for (let i = start; i < start + n; i++) {
    const t = new Date(T0 - 3_600_000 + i * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
    out.push(`${t} 200 "GET /orders/${i} HTTP/1.1" SUCCESS O=Test,CN=svc-${i % 3} rid=${i.toString(16).padStart(32, '0')}`);
  }
  return out.join('\n') + '\n';
}

describe('compileLogFormat (what PUT /sources/{name}/log-format checks)', () => {
  it.each([
    ['an unknown gateway', 'caddy', CONFIG_RID, undefined, 'format: nginx, apache, haproxy or auto, not "caddy"', 'unknown_gateway'],
    ['an empty configuration', 'nginx', '  \n', undefined, 'the configuration is empty', 'no_log_format'],
    ['a configuration auto cannot place', 'auto', 'server_tokens off;', undefined, 'could not tell which gateway the configuration is for; choose nginx, apache or haproxy', 'unknown_gateway'],
    ['a name the configuration lacks', 'nginx', CONFIG_RID, 'mian', "no log_format named 'mian'; the configuration has: edge", 'unknown_name'],
    ['two usable formats and no name', 'nginx', CONFIG_TWO, undefined, undefined, 'ambiguous'],
    ['a format without binding facts', 'nginx', "log_format plain '$time_iso8601 $status \"$request\"';", undefined, undefined, 'no_binding_facts'],
  ])('refuses %s with validation_failed and a one-line reason', (_case, gateway, config, name, message, reason) => {
    let err: unknown;
    try {
      compileLogFormat(gateway, config, name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe('validation_failed');
    expect((err as HoldfastError).details).toEqual({ reason });
    expect((err as Error).message).not.toContain('\n');
    if (message) expect((err as Error).message).toBe(message);
  });

  it('refuses a configuration over 2 MiB (UTF-8 bytes, not characters)', () => {
    const big = `${CONFIG_RID}\n#${'é'.repeat(MAX_LOG_FORMAT_CONFIG_BYTES / 2)}`;
    expect(big.length).toBeLessThan(MAX_LOG_FORMAT_CONFIG_BYTES + 1000);
    expect(() => compileLogFormat('nginx', big)).toThrow(/at most 2097152 \(2 MiB\)/);
  });

  it('auto takes the gateway from the directives', () => {
    expect(compileLogFormat('auto', CONFIG_RID)).toMatchObject({ gateway: 'nginx', name: 'edge' });
  });
});

for (const runtime of RUNTIMES) {
  describe(`saved log formats and ingest on ${runtime}`, () => {
    let t: TestDatabase | undefined;
    beforeAll(async () => {
      if (runtime === 'postgres' && !(await postgresAvailable())) return;
      t = await openTestDatabase(runtime);
    }, 60_000);
    afterAll(async () => t?.drop());

    const audit = async (action: string) =>
      (await t!.db.query<{ details: Record<string, unknown>; target: string }>(`SELECT details, target FROM "AuditEntry" WHERE action = $1 ORDER BY seq`, [action]));

    it('saves a compiled format (creating the source), audits its SHA-256 but never its text, shows it, replaces and removes it', async (ctx) => {
      if (!t) return ctx.skip();
      const saved = await saveSourceLogFormat(t.db, { source: 'edge-save', format: 'auto', config: CONFIG_RID, actor: 'admin@test' });
      expect(saved).toMatchObject({ created: true, source: 'edge-save', gateway: 'nginx', name: 'edge', logFormat: null, problem: null, updatedBy: 'admin@test' });
      expect(saved.fields).toEqual(['status', 'request_line', 'tls_verify', 'cert_subject', 'request_id']);
      expect(saved.sha256).toBe(logFormatSha256('nginx', 'edge', CONFIG_RID));
      expect(saved).not.toHaveProperty('config');

      const [entry] = await audit('source.log_format.save');
      expect(entry!.details).toMatchObject({ source: 'edge-save', gateway: 'nginx', name: 'edge', sha256: saved.sha256, sourceCreated: true, previousSha256: null });
      expect(JSON.stringify(entry)).not.toContain('log_format');

      expect(await getSourceLogFormat(t.db, 'edge-save', { withConfig: false })).not.toHaveProperty('config');
      expect((await getSourceLogFormat(t.db, 'edge-save', { withConfig: true })).config).toBe(CONFIG_RID);
      expect(await listSourceLogFormats(t.db)).toEqual([expect.objectContaining({ source: 'edge-save', gateway: 'nginx', name: 'edge' })]);

      const again = await saveSourceLogFormat(t.db, { source: 'edge-save', format: 'nginx', config: CONFIG_TWO, logFormat: 'edge2', actor: 'admin@test' });
      expect(again).toMatchObject({ created: false, name: 'edge2', logFormat: 'edge2', names: ['edge', 'edge2'] });
      expect((await audit('source.log_format.save'))[1]!.details).toMatchObject({ previousSha256: saved.sha256, sourceCreated: false, name: 'edge2' });

      // Refused: nothing saved, nothing audited.
      await expect(saveSourceLogFormat(t.db, { source: 'edge-save', format: 'nginx', config: CONFIG_TWO, actor: 'admin@test' })).rejects.toMatchObject({ code: 'validation_failed' });
      expect(await audit('source.log_format.save')).toHaveLength(2);

      expect(await deleteSourceLogFormat(t.db, 'edge-save', 'admin@test')).toEqual({ source: 'edge-save', removed: true });
      expect((await audit('source.log_format.remove'))[0]!.details).toMatchObject({ source: 'edge-save', sha256: again.sha256 });
      await expect(getSourceLogFormat(t.db, 'edge-save', { withConfig: true })).rejects.toMatchObject({ code: 'not_found' });
      await expect(deleteSourceLogFormat(t.db, 'edge-save', 'admin@test')).rejects.toMatchObject({ code: 'not_found' });
      await expect(getSourceLogFormat(t.db, 'no-such-source', { withConfig: false })).rejects.toMatchObject({ code: 'not_found' });
      await expect(saveSourceLogFormat(t.db, { source: 'bad name', format: 'nginx', config: CONFIG_RID, actor: 'a' })).rejects.toMatchObject({ code: 'validation_failed' });
    });

    it('the same body re-sent with a fixed configuration is read again; with the same one it stays a repeat after the ledger forgot it', async (ctx) => {
      if (!t) return ctx.skip();
      const text = body();
      const ingest = (nowMs: number, gatewayConfig: string) =>
        ingestStream(t!.db, [text], { format: 'nginx', gatewayConfig, sourceName: 'edge-repeat', actor: 'test', now: () => new Date(nowMs) });

      const first = await ingest(T0, CONFIG_TRACE);
      expect(first).toMatchObject({ linesRead: LINES, accepted: LINES, rejected: 0, logFormat: { gateway: 'nginx', name: 'edge' } });
      // Nine days on the ledger's day is gone: only the whole-batch check recognises the body.
      const later = T0 + 9 * DAY;
      await maintainEvidence(t.db, { now: new Date(later), retention: DEFAULT_RETENTION });

      expect(await ingest(later, CONFIG_TRACE)).toMatchObject({ accepted: 0, duplicates: LINES });
      // The owner fixed the variable ($request_id): the lines are read with it, not dropped as a repeat.
      const fixed = await ingest(later, CONFIG_RID);
      expect(fixed).toMatchObject({ linesRead: LINES, accepted: LINES, duplicates: 0 });
      // And that read is a repeat in its turn once the ledger forgot it too.
      await maintainEvidence(t.db, { now: new Date(later + 9 * DAY), retention: DEFAULT_RETENTION });
      expect(await ingest(later + 9 * DAY, CONFIG_RID)).toMatchObject({ accepted: 0, duplicates: LINES });

      const batches = await t.db.query<{ logFormatSha256: string | null; accepted: number }>(
        `SELECT b."logFormatSha256", b.accepted FROM "IngestBatch" b JOIN "Source" s ON s.id = b."sourceId" WHERE s.name = 'edge-repeat' ORDER BY b."startedAt", b."finishedAt"`,
      );
      expect(batches.map((b) => [b.logFormatSha256, b.accepted])).toEqual([
        [logFormatSha256('nginx', 'edge', CONFIG_TRACE), LINES],
        [logFormatSha256('nginx', 'edge', CONFIG_TRACE), 0],
        [logFormatSha256('nginx', 'edge', CONFIG_RID), LINES],
        [logFormatSha256('nginx', 'edge', CONFIG_RID), 0],
      ]);
      // The batch's audit entry names the format it was read with, never the configuration.
      const entries = await audit('ingest.batch');
      const mine = entries.filter((e) => e.details.source === 'edge-repeat');
      expect(mine[2]!.details.logFormat).toEqual({ gateway: 'nginx', name: 'edge', sha256: logFormatSha256('nginx', 'edge', CONFIG_RID) });
      expect(JSON.stringify(mine)).not.toContain('log_format');
    });

    it('saves a time zone with the configuration (canonical spelling, named in the warnings, resolved for ingest); refuses an unknown one', async (ctx) => {
      if (!t) return ctx.skip();
      const config = 'LogFormat "%{%Y-%m-%dT%H:%M:%S}t %>s \\"%r\\" %{SSL_CLIENT_VERIFY}x" tzfmt';
      const saved = await saveSourceLogFormat(t.db, { source: 'edge-tz', format: 'apache', config, timeZone: ' europe/berlin ', actor: 'admin@test' });
      expect(saved.timeZone).toBe('Europe/Berlin');
      expect(saved.warnings).toContain("LogFormat 'tzfmt' logs its time without a zone (%{%Y-%m-%dT%H:%M:%S}t): it is read in Europe/Berlin, the time zone given; add %z to the strftime format, or log %t");
      expect((await getSourceLogFormat(t.db, 'edge-tz', { withConfig: false })).timeZone).toBe('Europe/Berlin');
      // The Ingest page's list shows it as the source's default.
      expect((await listSourceLogFormats(t.db)).find((r) => r.source === 'edge-tz')).toMatchObject({ timeZone: 'Europe/Berlin' });
      expect(await resolveIngestLogFormat(t.db, { format: null, sourceName: 'edge-tz' })).toMatchObject({ format: 'apache', from: 'source', timeZone: 'Europe/Berlin' });
      expect((await audit('source.log_format.save')).find((e) => e.details.source === 'edge-tz')!.details).toMatchObject({ timeZone: 'Europe/Berlin' });
      await expect(saveSourceLogFormat(t.db, { source: 'edge-tz', format: 'apache', config, timeZone: 'Mars/Olympus', actor: 'admin@test' })).rejects.toMatchObject({
        code: 'bad_request', message: 'timeZone must be an IANA time zone such as Europe/Berlin, or a fixed offset such as +02:00',
      });
      // Saved again without one: UTC, and nothing to resolve.
      expect((await saveSourceLogFormat(t.db, { source: 'edge-tz', format: 'apache', config, actor: 'admin@test' })).timeZone).toBeNull();
      expect(await resolveIngestLogFormat(t.db, { format: null, sourceName: 'edge-tz' })).not.toHaveProperty('timeZone');
    });

    it('a format without a configuration keeps NULL, so its repeats are still found (no change for other formats)', async (ctx) => {
      if (!t) return ctx.skip();
      const line = JSON.stringify({ time: '2026-11-22T08:00:00+00:00', uri: '/x', status: 200, ssl_client_verify: 'NONE', authz_scheme: 'Bearer', has_dpop: '0' });
      const first = await ingestStream(t.db, [line], { format: 'nginx-json', sourceName: 'edge-json', actor: 'test' });
      expect(first).not.toHaveProperty('logFormat');
      const [row] = await t.db.query<{ logFormatSha256: string | null }>(`SELECT "logFormatSha256" FROM "IngestBatch" WHERE id = $1::uuid`, [first.batchId]);
      expect(row!.logFormatSha256).toBeNull();
    });

    it('an ingest naming the source reads with its saved format; a configuration sent with it wins; the names follow the same order', async (ctx) => {
      if (!t) return ctx.skip();
      await saveSourceLogFormat(t.db, { source: 'edge-saved', format: 'nginx', config: CONFIG_TWO, logFormat: 'edge2', actor: 'admin@test' });
      const [src] = await t.db.query<{ id: string }>(`SELECT id::text AS id FROM "Source" WHERE name = 'edge-saved'`);
      const cases: Array<[string, Parameters<typeof resolveIngestLogFormat>[1], { format: string | null; from: string | null; config?: string; logFormat?: string }]> = [
        ['gateway format, no configuration: the saved one and its name', { format: 'nginx', sourceName: 'edge-saved' }, { format: 'nginx', from: 'source', config: CONFIG_TWO, logFormat: 'edge2' }],
        ['detection: the saved gateway', { format: null, sourceName: 'edge-saved' }, { format: 'nginx', from: 'source', config: CONFIG_TWO, logFormat: 'edge2' }],
        ['auto: the saved gateway', { format: 'auto', sourceName: 'edge-saved' }, { format: 'nginx', from: 'source', config: CONFIG_TWO, logFormat: 'edge2' }],
        ["a source's key (by id)", { format: 'nginx', sourceId: src!.id }, { format: 'nginx', from: 'source', config: CONFIG_TWO, logFormat: 'edge2' }],
        ['a name with the request picks another format of the saved configuration', { format: 'nginx', sourceName: 'edge-saved', logFormat: 'edge' }, { format: 'nginx', from: 'source', config: CONFIG_TWO, logFormat: 'edge' }],
        ['a configuration with the request wins over the saved one', { format: 'nginx', sourceName: 'edge-saved', gatewayConfig: CONFIG_TRACE }, { format: 'nginx', from: 'request', config: CONFIG_TRACE }],
        ['another format ignores the saved configuration', { format: 'nginx-json', sourceName: 'edge-saved' }, { format: 'nginx-json', from: null }],
        ['a source without one: nothing to read with', { format: 'nginx', sourceName: 'edge-none' }, { format: 'nginx', from: null }],
      ];
      for (const [name, req, want] of cases) {
        const got = await resolveIngestLogFormat(t.db, req);
        expect({ format: got.format, from: got.from, config: got.gatewayConfig, logFormat: got.logFormat }, name).toEqual({ format: want.format, from: want.from, config: want.config, logFormat: want.logFormat });
      }
      await expect(resolveIngestLogFormat(t.db, { format: 'apache', sourceName: 'edge-saved' })).rejects.toThrow(
        'source edge-saved keeps a log format for nginx, not apache: send format nginx (or none), or save the apache configuration on the source',
      );
      await expect(resolveIngestLogFormat(t.db, { format: 'nginx-json', sourceName: 'edge-saved', logFormat: 'edge' })).rejects.toMatchObject({ code: 'validation_failed' });

      // Through the pipeline: the saved format reads the lines, and the batch records its hash.
      const chosen = await resolveIngestLogFormat(t.db, { format: null, sourceName: 'edge-saved' });
      const s = await ingestStream(t.db, [body(5, 1000)], { ...chosen, format: chosen.format, sourceName: 'edge-saved', actor: 'test' });
      expect(s).toMatchObject({ format: 'nginx', linesRead: 5, accepted: 5, rejected: 0, logFormat: { gateway: 'nginx', name: 'edge2' } });
      const [row] = await t.db.query<{ logFormatSha256: string }>(`SELECT "logFormatSha256" FROM "IngestBatch" WHERE id = $1::uuid`, [s.batchId]);
      expect(row!.logFormatSha256).toBe((await getSourceLogFormat(t.db, 'edge-saved', { withConfig: false })).sha256);
    });
  });
}
