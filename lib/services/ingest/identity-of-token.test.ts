// Whose use a request is: the token's client, as the token record or, without one, the token's own
// claims name it, wins over the certificate the request came with (a token presented with another
// client's certificate is still its own client's use). Real HAProxy edge and Apache backend lines
// (testing/identity-logs/README.md), through ingestStream on both runtimes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onEachRuntime } from '../../testing/databases.ts';
import { ingestStream } from './index.ts';
import { allEvents } from './testing/stored-events.ts';

const dir = join(import.meta.dirname, 'testing', 'identity-logs');
const read = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('identity of a request', () => {
  it("claims-only Apache lines with certificate A take the token's client_id, not A's owner", async () => {
    await onEachRuntime(async (t) => {
      const edge = await ingestStream(t.db, [read('hap_edge_rec_good.log')], { format: 'haproxy', gatewayConfig: read('hap_edge_rec.cfg'), sourceName: 'hap-edge-rec', actor: 'test' });
      expect(edge).toMatchObject({ accepted: 1, rejected: 0 });
      const backend = await ingestStream(t.db, [read('apache_backend.log')], { format: 'apache', gatewayConfig: read('apache-backend.conf'), sourceName: 'apache-backend', actor: 'test' });
      expect(backend).toMatchObject({ accepted: 3, rejected: 0 });
      const seen = (await allEvents(t.db)).map((e) => `${e.source} ${e.identity} ${e.verdict}`).sort();
      expect(seen).toEqual([
        'apache-backend svc-a ok',
        'apache-backend svc-a2 ok',
        'apache-backend svc-bearer bearer_unbound',
        'hap-edge-rec svc-a ok',
      ]);
    });
  }, 180_000);
});
