// Ports for the peers tests start: distinct, free, and outside the kernel's ephemeral range, where an
// outgoing connection could take one between the check and the peer's own bind.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from './processes.ts';

describe('freePorts', () => {
  it('gives distinct ports below the ephemeral range that a listener can bind', async () => {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const ports = await freePorts(40);
    expect(new Set(ports).size).toBe(40);
    for (const p of ports) {
      expect(p).toBeGreaterThanOrEqual(10_000);
      expect(p).toBeLessThan(low);
    }
    const servers = await Promise.all(
      ports.map((p) => new Promise<net.Server>((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(p, '127.0.0.1', () => resolve(s));
      })),
    );
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
});
