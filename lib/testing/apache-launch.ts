// Test-only: the real Apache httpd (Debian's apache2, 2.4) as one foreground process (-X) from a
// configuration written in the test directory, with mod_ssl and the modules the snippets use.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apacheLogConfig } from '../ingest/gateway-configs.ts';
import { waitForPort } from './gateway-pki.ts';

const MODULES = '/usr/lib/apache2/modules';

/** The apache2 binary, or null when it is not installed. */
export function findApache(): string | null {
  for (const p of ['apache2', '/usr/sbin/apache2']) {
    if (spawnSync(p, ['-v'], { stdio: 'ignore' }).status === 0) return p;
  }
  return null;
}

export interface ApacheProcess {
  errorLog(): string;
  stop(): Promise<void>;
}

/** The server-wide part: modules, one Listen per port, the error log in dir. */
function head(dir: string, ports: number[]): string {
  const mods = ['mpm_event', 'authz_core', 'ssl', 'headers', 'setenvif', 'unique_id', 'proxy', 'proxy_http'];
  return `ServerRoot ${dir}
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/apache-error.log
LogLevel info ssl:info
${mods.map((m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`).join('\n')}
${ports.map((p) => `Listen 127.0.0.1:${p}`).join('\n')}
ServerName api.test
DocumentRoot ${dir}
`;
}

/** Checks the configuration (`apache2 -t`), runs `apache2 -X`, waits for the ports; `body` is everything after the head, `extraEnv` is added to the process's (e.g. `TZ`). */
export async function startApache(bin: string, dir: string, body: string, ports: number[], extraEnv: Record<string, string> = {}): Promise<ApacheProcess> {
  const conf = join(dir, 'httpd.conf');
  writeFileSync(conf, `${head(dir, ports)}${body}\n`);
  const env = { ...process.env, ...extraEnv, APACHE_RUN_DIR: dir, APACHE_LOCK_DIR: dir, APACHE_LOG_DIR: dir, APACHE_PID_FILE: join(dir, 'httpd.pid') };
  const t = spawnSync(bin, ['-t', '-f', conf], { encoding: 'utf8', env });
  if (t.status !== 0) throw new Error(`apache2 -t refused the configuration: ${t.stderr}`);
  let out = '';
  const child: ChildProcess = spawn(bin, ['-X', '-f', conf], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () => (existsSync(join(dir, 'apache-error.log')) ? readFileSync(join(dir, 'apache-error.log'), 'utf8') : '') + out;
  for (const p of ports) await waitForPort(p, 10_000, () => errorLog().slice(-1500));
  return {
    errorLog,
    async stop() {
      // -X: one process; SIGTERM stops it and closes the logs.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Apache as an mTLS gateway with Holdfast's recommended log (gateway-configs.ts apacheLogConfig) to
 * `logFile`, serving `index.html` from dir; `verify` is SSLVerifyClient (default optional).
 */
export async function startRecommendedApache(
  bin: string,
  o: { dir: string; port: number; cert: string; key: string; ca: string; logFile: string; verify?: string },
): Promise<ApacheProcess> {
  writeFileSync(join(o.dir, 'index.html'), 'ok\n');
  return startApache(bin, o.dir, `<VirtualHost 127.0.0.1:${o.port}>
  SSLEngine on
  SSLCertificateFile ${o.cert}
  SSLCertificateKeyFile ${o.key}
  SSLCACertificateFile ${o.ca}
  SSLVerifyClient ${o.verify ?? 'optional'}
${apacheLogConfig({ logFile: o.logFile })}
</VirtualHost>`, [o.port]);
}
