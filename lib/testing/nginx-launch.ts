// Test-only: the real nginx started from an http-block body on 127.0.0.1 (prefix in the test dir).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForPort } from './gateway-pki.ts';

export interface NginxProcess {
  /** Graceful stop (SIGQUIT): workers finish and the logs are flushed and closed. */
  stop(): Promise<void>;
  errorLog(): string;
}

/**
 * Writes `<name>.conf` with `http { <httpBody> }` (and `main` before it, e.g. load_module), checks it
 * with `nginx -t`, runs it in the foreground and waits for the ports. Temp paths stay in dir.
 */
export async function startNginx(bin: string, dir: string, name: string, httpBody: string, ports: number[], main = ''): Promise<NginxProcess> {
  const conf = join(dir, `${name}.conf`);
  const asRoot = process.getuid?.() === 0;
  writeFileSync(conf, `${main}
${asRoot ? 'user root;' : ''}
worker_processes 1;
daemon off;
pid ${dir}/${name}.pid;
error_log ${dir}/${name}-error.log info;
events { worker_connections 64; }
http {
  client_body_temp_path ${dir}/${name}_body; proxy_temp_path ${dir}/${name}_proxy; fastcgi_temp_path ${dir}/${name}_fcgi;
  uwsgi_temp_path ${dir}/${name}_uwsgi; scgi_temp_path ${dir}/${name}_scgi;
  default_type text/plain;
${httpBody}
}
`);
  const t = spawnSync(bin, ['-t', '-p', dir, '-c', conf], { encoding: 'utf8' });
  if (t.status !== 0) throw new Error(`nginx -t refused ${name}.conf: ${t.stderr}`);
  const child: ChildProcess = spawn(bin, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const errorLog = () => (existsSync(join(dir, `${name}-error.log`)) ? readFileSync(join(dir, `${name}-error.log`), 'utf8').slice(-2000) : '');
  for (const p of ports) await waitForPort(p, 10_000, errorLog);
  return {
    errorLog,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT');
      await exited;
    },
  };
}
