// Where each Playwright worker finds its own Holdfast server. The global setup starts one server
// per worker, each from identical fresh state (own data directory, same accounts, own API key),
// and publishes them here through the environment the workers inherit; a worker picks its entry
// by TEST_PARALLEL_INDEX, so journeys on different workers never see each other's data.
// The one place that maps a worker to its server: the config, fixtures, specs and the teardown
// all ask this module.

export interface E2eServer {
  url: string;
  apiKey: string;
  dataDir: string;
}

const SERVERS = 'HOLDFAST_E2E_SERVERS';

/**
 * Workers (and so servers) for a run: HOLDFAST_E2E_WORKERS, 1 by default. On the 2-core CI machine two
 * workers bought nothing: quiet, 60 journeys took 11.3 min on two against 12.3 min on one (each
 * journey ran about twice as slowly: Chromium and the server are CPU-bound), and under load the
 * longest journeys ran out of their budget. More cores, more workers.
 */
export function e2eWorkers(): number {
  const raw = process.env.HOLDFAST_E2E_WORKERS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`HOLDFAST_E2E_WORKERS must be a whole number ≥ 1, got ${JSON.stringify(raw)}`);
  return n;
}

/** Hands the servers to the workers (called once by the global setup, in the runner process). */
export function publishServers(servers: E2eServer[]): void {
  process.env[SERVERS] = JSON.stringify(servers);
}

/** Every server the global setup started (empty before it ran). */
export function publishedServers(): E2eServer[] {
  const raw = process.env[SERVERS];
  return raw ? (JSON.parse(raw) as E2eServer[]) : [];
}

/**
 * This worker's server, or undefined where there is none yet: the runner process loads
 * playwright.config.ts before the global setup runs, and has no TEST_PARALLEL_INDEX.
 */
export function thisWorkersServerIfAny(): E2eServer | undefined {
  const index = process.env.TEST_PARALLEL_INDEX;
  if (index === undefined) return undefined;
  return publishedServers()[Number(index)];
}

/** This worker's server (URL, admin API key, data directory); throws outside a worker. */
export function thisWorkersServer(): E2eServer {
  const s = thisWorkersServerIfAny();
  if (!s) throw new Error(`no e2e server for worker ${process.env.TEST_PARALLEL_INDEX ?? '(none)'}: run through \`playwright test\`, whose global setup starts them`);
  return s;
}
