// The parse worker (parse-worker.ts) must change nothing but the thread: the same parsed lines
// (events field by field, their redacted lines, certificates' DER, request keys), and through the
// pipeline the same summary, stored rows, errors and refusals as the parse in the pipeline's thread.
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derOf } from '../../credentials/certificate.ts';
import { HoldfastError } from '../../errors.ts';
import { BatchRequestKeys } from '../../ingest/evidence/request-key.ts';
import { openParseStream, type ParsedLine, type ParseStreamOptions } from '../../ingest/parse-stream.ts';
import { CERT_ESCAPED, GITLEAKS_REPORT, INTROSPECTION_LINE, NGINX_COMBINED_FULL, NGINX_JSON_REAL, SECRET_JWT, SECRET_PROOF, TRUFFLEHOG_LINE } from '../../ingest/testing/samples.ts';
import type { Database } from '../../db/open.ts';
import { openTestDatabase, postgresAvailable, type TestDatabase } from '../../testing/databases.ts';
import { ingestStream, type IngestOptions } from './pipeline.ts';
import { openKeyedParseStream } from './parse-worker.ts';
import type { KeyedLine } from './parse-wire.ts';

const NOW = new Date('2026-11-22T09:00:00Z');
const now = () => NOW;
const WORKER = { minBytes: 0 };

const nginxLine = (i: number, o: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: `2026-11-22T08:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}+00:00`,
    request_id: `req-${i}`, remote_addr: `10.0.${i % 7}.1`, method: 'GET', scheme: 'https', host: 'api.example', uri: `/orders/${i}`, status: i % 11 === 0 ? 401 : 200,
    ssl_client_verify: i % 13 === 0 ? 'FAILED:certificate revoked' : 'SUCCESS', ssl_client_s_dn: `O=Test,CN=svc-${i % 5}`, ssl_client_i_dn: 'CN=Test Client CA,O=Test', ssl_client_serial: '1000',
    ssl_client_fingerprint: 'a82ab1945d9a936e490783bfa9ddab4e8246f3aa', ssl_client_escaped_cert: CERT_ESCAPED, authz_scheme: 'Bearer', has_dpop: '0',
    ...o,
  });

/** ok lines, failures, bad lines, lines without a request id (twice: keyed by occurrence), DPoP proofs, tokens, unsafe text. */
function mixedNginx(n: number): Buffer {
  const lines: Array<string | Buffer> = [];
  for (let i = 0; i < n; i++) {
    if (i % 97 === 5) lines.push('{"time":"not a time"}');
    else if (i % 89 === 7) lines.push('garbage');
    else if (i % 83 === 3) lines.push('');
    else if (i % 79 === 1) lines.push(nginxLine(i, { request_id: '' })); // keyed by its line
    else if (i % 61 === 2) lines.push(nginxLine(i, { authz_scheme: 'DPoP', has_dpop: '1', http_authorization: `DPoP ${SECRET_JWT}`, http_dpop: SECRET_PROOF }));
    else if (i % 53 === 4) lines.push(nginxLine(i, { http_authorization: `Bearer ${SECRET_JWT}` }));
    else if (i % 47 === 6) lines.push(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])); // invalid UTF-8
    else if (i % 43 === 8) lines.push(nginxLine(i, { uri: `/x\u0000y` })); // NUL: not storable
    else if (i % 41 === 9) lines.push(nginxLine(i, { uri: `/${'a'.repeat(20_000)}` })); // over maxLineBytes
    // A credential only a JSON line's own redaction finds (its text patterns miss the escaped `_`); refused, so stored in full.
    else if (i % 37 === 10) lines.push(nginxLine(i, { uri: `/orders/${i}?api_key=s3cret-${i}`, status: 401 }).replace('api_key', 'api\\u005fkey'));
    else lines.push(nginxLine(i));
  }
  lines.push(nginxLine(1, { request_id: '' }), nginxLine(1, { request_id: '' }), NGINX_JSON_REAL);
  return Buffer.concat(lines.flatMap((l) => [Buffer.isBuffer(l) ? l : Buffer.from(l), Buffer.from('\n')]));
}

/** The input in chunks of `size` bytes (lines cut across chunks). */
const chunked = (b: Buffer, size = 4096): Buffer[] => Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size));

/** A parsed line with everything an event holds that a clone would not show by itself. */
function plain(l: KeyedLine | ParsedLine, key?: Buffer) {
  if (l.result.kind !== 'event') return l;
  const ev = l.result.event;
  return {
    lineNo: l.lineNo, fields: Object.fromEntries(Object.keys(ev).map((k) => [k, ev[k as keyof typeof ev]])), redactedRaw: ev.redactedRaw, key: key?.toString('hex'),
    der: derOf(ev.cert)?.toString() ?? null, forwardedDer: derOf(ev.forwardedCert)?.toString() ?? null,
  };
}

async function parsedBoth(input: Buffer[], opts: ParseStreamOptions) {
  const keys = new BatchRequestKeys();
  const a = await openParseStream(input, opts);
  const here = [];
  for await (const b of a.batches) for (const l of b) here.push(plain(l, l.result.kind === 'event' ? keys.keyOf(l.result.event) : undefined));
  const w = await openKeyedParseStream(input, opts, WORKER);
  const there = [];
  try {
    for await (const b of w.batches) for (const l of b) there.push(plain(l, l.key));
  } finally {
    await w.close();
  }
  return { here, there, inWorker: w.inWorker, format: [a.format, w.format] };
}

describe('parse worker: the same parsed lines as openParseStream', () => {
  it('NGINX JSON, mixed, in 4 KiB chunks: events field by field, redacted lines, DER and request keys', async () => {
    const { here, there, inWorker } = await parsedBoth(chunked(mixedNginx(600)), { format: 'nginx-json', maxLineBytes: 16_384, now });
    expect(inWorker).toBe(true);
    expect(there.length).toBe(here.length);
    expect(there).toEqual(here);
  });

  it('gzip, format detected, and multi-record formats', async () => {
    const gz = await parsedBoth(chunked(gzipSync(mixedNginx(300)), 1000), { now });
    expect(gz.format).toEqual(['nginx-json', 'nginx-json']);
    expect(gz.there).toEqual(gz.here);
    for (const [format, text] of [['gitleaks', GITLEAKS_REPORT.join('\n')], ['trufflehog', TRUFFLEHOG_LINE], ['introspection', INTROSPECTION_LINE], ['nginx-combined', NGINX_COMBINED_FULL]] as const) {
      const r = await parsedBoth([Buffer.from(`${text}\n${text}\n`)], { format, now });
      expect(r.inWorker).toBe(true);
      expect(r.there, format).toEqual(r.here);
    }
  });

  it('below minBytes the input is parsed in this thread', async () => {
    const w = await openKeyedParseStream([mixedNginx(20)], { format: 'nginx-json' }, { minBytes: 1 << 20 });
    expect(w.inWorker).toBe(false);
    await w.close();
  });
});

/** Everything a batch stores, without generated ids (tokens by fingerprint, identities by name, dimensions by value). */
async function stored(db: Database) {
  const dim = (c: string) => `(SELECT value FROM "evidence"."Dim" WHERE id = r."${c}")`;
  const dims = ['gateway', 'network', 'route', 'cert', 'jkt', 'reason'].map((c) => `${dim(c)} AS "${c}"`).join(', ');
  return {
    requests: await db.query(`SELECT r."day", encode(r."key", 'hex') AS key, r."occurredAt", r.verdict, r."httpStatus", r."requestId", t.fingerprint, i.name AS identity, ${dims}
      FROM "evidence"."Request" r LEFT JOIN "Token" t ON t.id = r."tokenId" LEFT JOIN "Identity" i ON i.id = r."identityId" ORDER BY 2`),
    notable: await db.query(`SELECT encode(r."key", 'hex') AS key, r."occurredAt", r.verdict, r."httpStatus", r."hasDpop", r."requestId", r."correlationId", r.gateway, r.method, r.url,
        r."clientIp", r."peerIp", r."authScheme", r."tokenFingerprint", r."x5tS256", r."sha1Hex", r.jkt, r.reason, r.binding, r.anomaly, r."redactedRaw", i.name AS identity, t.fingerprint
      FROM "evidence"."Notable" r LEFT JOIN "Token" t ON t.id = r."tokenId" LEFT JOIN "Identity" i ON i.id = r."identityId" ORDER BY 1`),
    usage: await db.query(`SELECT r.hour, r.verdict, sum(r.count)::int AS n, min(r."firstAt") AS "firstAt", max(r."lastAt") AS "lastAt", t.fingerprint, i.name AS identity, ${dims}
      FROM "evidence"."Usage" r LEFT JOIN "Token" t ON t.id = r."tokenId" LEFT JOIN "Identity" i ON i.id = r."identityId" GROUP BY 1, 2, 6, 7, 8, 9, 10, 11, 12, 13 ORDER BY 1, 2, 6, 7, 8, 9, 10, 11, 12, 13`),
    tokens: await db.query(`SELECT t.fingerprint, t.binding::text, t.status, t.exposure, t."lastSeenAt", t.jti, t.issuer, t."cnfJkt", t."cnfX5tS256", i.name AS identity
      FROM "Token" t LEFT JOIN "Identity" i ON i.id = t."identityId" ORDER BY 1`),
    identities: await db.query(`SELECT name, kind, "clientId", "spiffeId", "lastSeenAt" FROM "Identity" ORDER BY name`),
    certificates: await db.query(`SELECT c."x5tS256", c."sha1Hex", c."subjectDn", c."issuerDn", c.serial, c.status, c."notBefore", c."notAfter", i.name AS identity
      FROM "Certificate" c LEFT JOIN "Identity" i ON i.id = c."identityId" ORDER BY 1`),
    exposures: await db.query(`SELECT "dedupeKey", fingerprint, scanner, "ruleId", location, commit, "foundAt" FROM "ExposureFinding" ORDER BY 1`),
    batches: await db.query(`SELECT state, format, "linesRead", accepted, rejected, duplicates, errors, skipped, "skippedReasons", "contentSha256" FROM "IngestBatch" ORDER BY "startedAt"`),
    rollups: await db.query(`SELECT hour, verdict, sum(count)::int AS n FROM "EventRollup" GROUP BY 1, 2 ORDER BY 1, 2`),
    audit: (await db.query<{ details: Record<string, unknown> }>(`SELECT details FROM "AuditEntry" WHERE action = 'ingest.batch' ORDER BY seq`)).map((r) => r.details),
  };
}

describe('ingest through the parse worker: the same batch as in the pipeline thread', () => {
  const dbs: TestDatabase[] = [];
  const fresh = async () => {
    const t = await openTestDatabase((await postgresAvailable()) ? 'postgres' : 'pglite');
    dbs.push(t);
    return t.db;
  };
  beforeAll(() => {}, 60_000);
  afterAll(async () => {
    for (const t of dbs) await t.drop();
  });

  /** The same inputs ingested one after the other on two fresh databases, one of them through the worker. */
  async function both(inputs: Array<{ body: () => Buffer[]; opts: Partial<IngestOptions> }>) {
    const [a, b] = [await fresh(), await fresh()];
    const out: Array<{ here: unknown; there: unknown }> = [];
    for (const { body, opts } of inputs) {
      const run = async (db: Database, parseWorker: IngestOptions['parseWorker']) => {
        try {
          const { batchId: _, ...s } = await ingestStream(db, body(), { actor: 'test', now, chunkSize: 250, sourceName: 'edge-1', ...opts, parseWorker });
          return s;
        } catch (e) {
          return { error: e instanceof HoldfastError ? { code: e.code, message: e.message, details: e.details } : String(e) };
        }
      };
      out.push({ here: await run(a, null), there: await run(b, WORKER) });
    }
    return { out, stored: [await stored(a), await stored(b)] as const };
  }

  it('mixed NGINX JSON (plain and gzip), a re-send, an inventory and a scanner report: same summaries and rows', async () => {
    const nginx = mixedNginx(1500);
    const r = await both([
      { body: () => chunked(nginx), opts: { format: 'nginx-json', maxLineBytes: 16_384 } },
      { body: () => chunked(gzipSync(mixedNginx(700)), 2000), opts: { maxLineBytes: 16_384, sourceName: 'edge-2' } },
      { body: () => chunked(nginx, 65_536), opts: { format: 'nginx-json', maxLineBytes: 16_384 } }, // a re-send: duplicates
      { body: () => [Buffer.from(`${INTROSPECTION_LINE}\n`)], opts: { format: 'introspection' } },
      { body: () => [Buffer.from(GITLEAKS_REPORT.join('\n'))], opts: { format: 'gitleaks' } },
    ]);
    for (const { here, there } of r.out) expect(there).toEqual(here);
    expect((r.out[0]!.here as { accepted: number }).accepted).toBeGreaterThan(1000);
    expect((r.out[2]!.here as { duplicates: number }).duplicates).toBeGreaterThan(1000);
    expect(r.stored[1]).toEqual(r.stored[0]);
  }, 120_000);

  it('a corrupt gzip body is refused whole, with the same error, through the worker too', async () => {
    const gz = gzipSync(mixedNginx(800));
    const cut = Buffer.from(gz);
    cut.fill(0x55, cut.length >> 1, (cut.length >> 1) + 64); // damaged in the middle
    const r = await both([
      { body: () => chunked(cut, 3000), opts: { format: 'nginx-json', maxLineBytes: 16_384 } },
      { body: () => chunked(gz.subarray(0, gz.length - 100), 3000), opts: { format: 'nginx-json', maxLineBytes: 16_384 } }, // cut short
    ]);
    for (const { here, there } of r.out) {
      expect(here).toMatchObject({ error: { code: 'bad_request', details: { reason: 'gzip_corrupt' } } });
      expect(there).toEqual(here);
    }
    expect(r.stored[0].requests).toEqual([]);
    expect(r.stored[1]).toEqual(r.stored[0]);
  }, 120_000);
});
