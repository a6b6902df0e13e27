// A real Holdfast server (startServerProcess) on either runtime with an admin API key, for tests
// and benchmarks that go through HTTP: PGlite in a temp data directory, or a throwaway
// PostgreSQL database (with the sealing key PostgreSQL mode requires). No demo estate.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPostgresTestDatabase } from './databases.ts';
import { runCli, startServerProcess, type ServerProcess } from './processes.ts';

export interface RuntimeServer {
  server: ServerProcess;
  /** An admin API key (every permission, ingest included). */
  key: string;
  /** The server's data directory (PGlite keeps its database there). */
  dataDir: string;
  /** PostgreSQL only: the throwaway database's URL (for a dump). */
  databaseUrl?: string;
  /** Stops the server, drops its database and removes its data directory. */
  stop(): Promise<void>;
}

export async function startRuntimeServer(runtime: 'pglite' | 'postgres', env: Record<string, string> = {}): Promise<RuntimeServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'holdfast-runtime-server-'));
  const all: Record<string, string> = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_DEMO: 'never', ...env };
  let drop: (() => Promise<void>) | undefined;
  let server: ServerProcess | undefined;
  const stop = async () => {
    await server?.stop();
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    if (runtime === 'postgres') {
      const created = await createPostgresTestDatabase({ migrated: true });
      drop = created.drop;
      all.DATABASE_URL = created.url;
      all.HOLDFAST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');
    }
    const made = await runCli(['apikey', 'create', '--name', 'runtime-server', '--role', 'admin', '--json'], { env: all });
    if (made.code !== 0) throw new Error(`apikey create failed: ${made.stderr.trim()}`);
    server = await startServerProcess(all);
    return { server, key: (JSON.parse(made.stdout) as { key: string }).key, dataDir: all.HOLDFAST_DATA_DIR!, databaseUrl: all.DATABASE_URL, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** An HTTP answer as tests read it: status, content type, JSON (problem bodies too) and the raw text. */
export interface HttpAnswer {
  status: number;
  type: string | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever shape the route answers
  json: any;
  text: string;
}

/**
 * A caller for a running server whose base URL is known only once it has started: `body` as JSON
 * unless it is a string (then sent as is with `contentType`).
 */
export function httpCaller(base: () => string) {
  return async (method: string, path: string, key: string, body?: unknown, contentType = 'application/json'): Promise<HttpAnswer> => {
    const res = await fetch(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const type = res.headers.get('content-type');
    return { status: res.status, type, json: text && /^application\/(problem\+)?json/.test(type ?? '') ? JSON.parse(text) : null, text };
  };
}
