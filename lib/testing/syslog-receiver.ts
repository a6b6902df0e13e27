// Test-only: a UDP syslog listener on 127.0.0.1 that writes each datagram as one line to a file,
// as rsyslog's file output would (HAProxy's `log 127.0.0.1:<port> format rfc3164 …`, the usual
// production setup, as opposed to `log stdout`).
import dgram from 'node:dgram';
import { appendFileSync, writeFileSync } from 'node:fs';

export interface SyslogReceiver {
  port: number;
  /** Stops listening; every datagram received so far is in the file. */
  close(): Promise<void>;
}

export async function startSyslogReceiver(path: string): Promise<SyslogReceiver> {
  writeFileSync(path, '');
  const sock = dgram.createSocket('udp4');
  sock.on('message', (msg) => appendFileSync(path, `${msg.toString('utf8').replace(/\n$/, '')}\n`));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()));
  return {
    port: sock.address().port,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  };
}
