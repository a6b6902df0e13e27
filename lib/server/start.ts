// The Holdfast server: one process that owns the database. Validates configuration, opens the
// database (PGlite locked to this process, or PostgreSQL), migrates, creates the first admin
// or prints a setup link, loads the demo estate into an empty embedded database, then serves
// Next.js from the same process so route handlers share the one handle.
import http, { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import path from 'node:path';
import { bootstrapAdmin } from '../auth/bootstrap.ts';
import { oidcConfig } from '../auth/oidc.ts';
import { loadConfig, readSetting, type HoldfastConfig } from '../config.ts';
import { openDatabase, type Database } from '../db/open.ts';
import { migrateDatabase } from '../db/migrations.ts';
import { allowingReadsDuringBatch } from '../db/read-gate.ts';
import { dbTargetFromConfig } from '../db/target.ts';
import { errorLine } from '../errors.ts';
import { isApiPath, requestTargetProblem } from '../http/request-target.ts';
import { redact } from '../ingest/redact.ts';
import { startAuditAnchoring } from '../audit/anchoring.ts';
import { seedDemo } from '../seed/seed-demo.ts';
import { maintainEvidence, setEvidenceRetention, startEvidenceMaintenance } from '../services/evidence/maintenance.ts';
import { evaluateFindings } from '../services/findings/index.ts';
import { failInterruptedExports } from '../services/frameworks/exports.ts';
import { preloadUsageColumns } from '../services/simulation/index.ts';
import { loadSecretKey } from '../crypto/seal.ts';
import { dbConnectorResolver } from '../revocation/connector-store.ts';
import { startRevocationWorkerLoop } from '../revocation/run-revocation-worker.ts';
import { registerDatabase } from './database.ts';
import { registerRevocationWorker } from './revocation-worker.ts';
import { registerSecretKey } from './secret-key.ts';

// scripts/start.mjs checks the configuration before it builds the app, with this module's own copy
// of the configuration module (the server's bundle holds one).
export { loadConfig };

export interface RunningServer {
  url: string;
  db: Database;
  close(): Promise<void>;
}

export interface StartOptions {
  dir: string;
  env?: Record<string, string | undefined>;
  log?: (line: string) => void;
}

/** The path of a request target for a log line: no query (it may carry a credential), redacted, bounded. */
function loggablePath(target: string): string {
  const q = target.indexOf('?');
  return JSON.stringify(redact((q === -1 ? target : target.slice(0, q)).slice(0, 200)));
}

/**
 * A 400 for a target Next.js would fail on (lib/http/request-target.ts): a JSON problem for the
 * API, a small page for people; one log line either way, so a probe is visible.
 */
function refuseRequestTarget(req: http.IncomingMessage, res: http.ServerResponse, target: string, reason: string, log: (line: string) => void): void {
  log(`holdfast: refused a malformed request URL (400): ${reason}: ${req.method} ${loggablePath(target)}`);
  const common = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };
  if (isApiPath(target)) {
    res.writeHead(400, { ...common, 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ type: 'about:blank', title: 'Bad request', status: 400, code: 'bad_request', detail: `${reason}.` }));
    return;
  }
  res.writeHead(400, { ...common, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'; frame-ancestors 'none'; base-uri 'none'" });
  res.end(`<!doctype html><html lang="en"><meta charset="utf-8"><title>Bad request · Holdfast</title><h1>Bad request</h1><p>This address cannot be read: ${reason}.</p><p><a href="/">Go to the overview</a></p></html>`);
}

async function shouldSeedDemo(db: Database, cfg: HoldfastConfig): Promise<boolean> {
  if (cfg.demo === 'never') return false;
  const identities = await db.prisma.identity.count();
  if (identities > 0) return false;
  // Never fill a PostgreSQL database with demo data unless asked to.
  return cfg.demo === 'always' || db.kind === 'pglite';
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const cfg = loadConfig(opts.env);
  // Settings that only make sense together (SSO) are checked now too, not at the first sign-in.
  oidcConfig(opts.env);
  const db = await openDatabase(dbTargetFromConfig(cfg));
  try {
    const applied = await migrateDatabase(db);
    if (applied.length) log(`holdfast: applied migrations ${applied.join(', ')}`);
    setEvidenceRetention(cfg.retention);
    await maintainEvidence(db, { log });
    if (db.kind === 'pglite') {
      // One process owns an embedded database: jobs still "running" were cut off by the last stop.
      const interrupted = await failInterruptedExports(db);
      if (interrupted) log(`holdfast: marked ${interrupted} export job(s) interrupted by the last stop as failed`);
    }
    const boot = await bootstrapAdmin(db, { adminEmail: cfg.adminEmail, adminPassword: cfg.adminPassword });
    const base = cfg.publicUrl ?? `http://localhost:${cfg.port}`;
    if (boot.kind === 'admin_created') log(`holdfast: created admin ${boot.email}`);
    if (boot.kind === 'setup_link') log(`holdfast: no users yet — create the first admin at ${new URL(`/setup?token=${boot.token}`, base)} (valid 24 h, once)`);
    if (await shouldSeedDemo(db, cfg)) {
      const t0 = Date.now();
      log('holdfast: loading the demo estate (first start on an empty embedded database)…');
      const counts = await seedDemo(db, { seed: cfg.demoSeed, now: new Date() });
      log(`holdfast: demo estate loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${counts.identities} identities, ${counts.tokens} tokens, ${counts.events} events`);
      const ev = await evaluateFindings(db, { actor: 'system:demo-seed' });
      log(`holdfast: findings evaluated in ${(ev.durationMs / 1000).toFixed(1)} s: ${ev.opened} opened`);
    }
  } catch (e) {
    await db.close();
    throw e;
  }
  registerDatabase(db);
  let secretKey: Buffer;
  try {
    secretKey = loadSecretKey({ envValue: readSetting('HOLDFAST_SECRET_KEY', opts.env), dataDir: cfg.dataDir });
  } catch (e) {
    registerDatabase(undefined);
    await db.close();
    throw e;
  }
  registerSecretKey(secretKey);
  // Moves the audit chain's anchor (outside the database) after appends and once more at stop.
  const anchoring = startAuditAnchoring(db, { file: cfg.auditAnchorFile, log });
  // Carries revocation legs to their peers; several instances share the work (SKIP LOCKED).
  const worker = startRevocationWorkerLoop(db, {
    connectors: dbConnectorResolver(db, secretKey),
    key: secretKey,
    workerId: `server-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    intervalMs: 2000,
    log,
  });
  registerRevocationWorker(worker);
  // Partitions past their retention go within about an hour, ingest or not.
  const maintenance = startEvidenceMaintenance(db, { log });
  const preload = preloadSimulationColumns(db, cfg.simulationPreloadDays, log);

  const { default: next } = await import('next');
  const app = next({ dev: false, dir: path.resolve(opts.dir), hostname: cfg.host, port: cfg.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => {
    // The peer address as the server saw it; a client cannot forge it (lib/http/route.ts clientIp).
    req.headers['x-holdfast-remote-addr'] = req.socket.remoteAddress ?? '';
    const target = req.url ?? '/';
    const problem = requestTargetProblem(target);
    if (problem) return refuseRequestTarget(req, res, target, problem, log);
    // A GET or HEAD only reads: on the embedded database it may be answered between a running
    // ingest batch's statements instead of waiting for its commit (lib/db/read-gate.ts).
    const serve = () => handle(req, res);
    (req.method === 'GET' || req.method === 'HEAD' ? allowingReadsDuringBatch(serve) : serve()).catch((e: unknown) => {
      log(`holdfast: unhandled error serving ${req.method} ${loggablePath(target)}: ${errorLine(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end('{"type":"about:blank","title":"Internal error","status":500,"code":"internal"}');
    });
  });
  server.on('clientError', answerMalformedRequest);
  server.requestTimeout = 10 * 60_000; // large ingest uploads stream for a while
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const url = `http://localhost:${cfg.port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    db,
    close() {
      closing ??= (async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        await app.close?.().catch(() => {});
        registerRevocationWorker(undefined);
        await worker.stop();
        await maintenance.stop();
        await preload;
        await anchoring.stop();
        registerSecretKey(undefined);
        registerDatabase(undefined);
        await db.close();
      })();
      return closing;
    },
  };
}

/**
 * Reads the last `days` of usage into memory for simulations while the server starts and serves:
 * the first simulation is then answered from them instead of by SQL, which at a million tokens is
 * the difference between seconds and a quarter of a minute. Never fails the start: without them the
 * first simulation reads the database, as it would with HOLDFAST_SIMULATION_PRELOAD_DAYS=0.
 */
function preloadSimulationColumns(db: Database, days: number, log: (line: string) => void): Promise<void> {
  if (days === 0) return Promise.resolve();
  const t0 = Date.now();
  return preloadUsageColumns(db, { days }).then(
    (r) => log(`holdfast: simulation columns preloaded: ${r.rows} usage rows of the last ${days} days in ${((Date.now() - t0) / 1000).toFixed(1)} s`),
    (e: unknown) => log(`holdfast: simulation columns not preloaded (simulations will read the database): ${errorLine(e)}`),
  );
}

/**
 * Bytes Node's HTTP parser cannot read as a request (a bad header, or what follows a body longer
 * than its Content-Length): a JSON problem, like every other refusal, instead of Node's bare 400.
 * A response still being written on the connection — the request before those bytes, whose body
 * was complete by its Content-Length — is finished first, so its client reads what was committed;
 * then the connection closes.
 */
function answerMalformedRequest(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse })._httpMessage;
  if (inFlight && !inFlight.writableFinished) {
    inFlight.once('close', () => socket.destroy());
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, code: 'bad_request', detail: `malformed HTTP request (${err.code ?? 'parse error'})` });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
